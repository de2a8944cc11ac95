import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../daemon/log.js';
import type { CommandOutcome } from './commands.js';
import type { Command } from './messages.js';
import { unpackModelBundle } from './model-bundle.js';
import type { Publisher } from './record-sender.js';

export type ModelRolloutParams = Extract<Command, { type: 'model_rollout' }>['params'];

/** Swaps the running model to the package in dir; throws (leaving the old one running) if refused. */
export type ActivateModel = (dir: string) => Promise<unknown> | unknown;

export interface ModelRolloutOptions {
  dataDir: string;
  chunkBytes: number;
  timeoutMs: number;
  attempts: number;
}

/**
 * model_rollout: downloads the package bundle from headquarters over MQTT (resumable,
 * `dl-req` → `dl/<fileId>/<offset>`), checks its size and the sha256 named in the signed
 * command, unpacks it into <data_dir>/models/<version>, and hands it to the inference part.
 * A refused package leaves the previous model running (rolled back) and is removed.
 */
export class ModelRollout {
  private waiting: { key: string; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;

  constructor(
    private readonly link: Publisher,
    private readonly topicBase: string,
    private readonly activate: ActivateModel,
    private readonly options: ModelRolloutOptions,
    private readonly log: Logger,
  ) {}

  /** Delivers `dl/<fileId>/<offset>` and `dl/<fileId>/error` messages. */
  onDownloadMessage(topic: string, payload: Buffer): void {
    const rest = topic.slice(`${this.topicBase}/dl/`.length);
    const w = this.waiting;
    if (!w) return;
    if (rest === w.key) {
      this.waiting = undefined;
      w.resolve(payload);
    } else if (rest === `${w.key.split('/')[0]}/error`) {
      this.waiting = undefined;
      w.reject(new Error(`headquarters: ${payload.toString().slice(0, 200)}`));
    }
  }

  async run(p: ModelRolloutParams): Promise<CommandOutcome> {
    const modelsDir = join(this.options.dataDir, 'models');
    const part = join(modelsDir, 'incoming', `${p.fileId}.part`);
    await mkdir(join(modelsDir, 'incoming'), { recursive: true });
    try {
      await this.download(p, part);
    } catch (err) {
      return { ok: false, code: 'MODEL_DOWNLOAD_FAILED', message: (err as Error).message };
    }
    const data = await readFile(part);
    const sum = createHash('sha256').update(data).digest('hex');
    if (data.length !== p.sizeBytes || sum !== p.sha256) {
      await rm(part, { force: true });
      return {
        ok: false,
        code: 'MODEL_SHA256_MISMATCH',
        message: `downloaded ${data.length} bytes with sha256 ${sum}; the command names ${p.sizeBytes} bytes, ${p.sha256}`,
      };
    }
    const target = join(modelsDir, p.version);
    const staging = `${target}.staging`;
    await rm(staging, { recursive: true, force: true });
    try {
      const bundle = await unpackModelBundle(data, staging);
      if (bundle.version !== p.version)
        throw new Error(`bundle is version ${bundle.version}, command says ${p.version}`);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      return { ok: false, code: 'MODEL_BUNDLE_INVALID', message: (err as Error).message };
    }
    if (existsSync(target)) await rm(target, { recursive: true, force: true });
    await rename(staging, target);
    try {
      await this.activate(target);
    } catch (err) {
      // The inference part kept the previous model: that is the roll-back.
      await rm(target, { recursive: true, force: true });
      this.log.error(
        { version: p.version, err: (err as Error).message },
        'model refused; previous model stays active',
      );
      return {
        ok: false,
        code: 'MODEL_ROLLED_BACK',
        message: `package refused, previous model kept: ${(err as Error).message}`,
      };
    } finally {
      await rm(part, { force: true });
    }
    await writeFile(
      join(modelsDir, 'active.json'),
      JSON.stringify({ version: p.version, dir: target, sha256: p.sha256, atMs: Date.now() }),
    );
    this.log.info({ version: p.version }, 'model rolled out and active');
    return { ok: true, message: `model ${p.version} active` };
  }

  /** Fetches the missing bytes of the bundle, one chunk at a time, resuming a partial file. */
  private async download(p: ModelRolloutParams, part: string): Promise<void> {
    let have = await stat(part).then(
      (s) => s.size,
      () => 0,
    );
    if (have > p.sizeBytes) {
      await rm(part, { force: true });
      have = 0;
    }
    const fh = await open(part, 'a');
    try {
      while (have < p.sizeBytes) {
        const len = Math.min(this.options.chunkBytes, p.sizeBytes - have);
        let chunk: Buffer | undefined;
        for (let attempt = 1; !chunk; attempt++) {
          try {
            chunk = await this.request(p.fileId, have, len);
          } catch (err) {
            if (attempt >= this.options.attempts) throw err;
          }
        }
        if (chunk.length !== len)
          throw new Error(`headquarters sent ${chunk.length} bytes at ${have}, expected ${len}`);
        await fh.write(chunk);
        have += len;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  private request(fileId: string, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(
          new Error(`no model data for ${fileId} at ${offsetBytes} within ${this.options.timeoutMs} ms`),
        );
      }, this.options.timeoutMs);
      this.waiting = {
        key: `${fileId}/${offsetBytes}`,
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.link
        .publish(`${this.topicBase}/dl-req`, JSON.stringify({ v: 1, fileId, offsetBytes, lengthBytes }))
        .catch((err: Error) => {
          clearTimeout(timer);
          this.waiting = undefined;
          reject(err);
        });
    });
  }
}

/**
 * The folder of the model headquarters rolled out last (from `<data_dir>/models/active.json`),
 * so a restarted daemon keeps running it; undefined when none was rolled out or the folder
 * is gone (the package loader still checks every file's sha256 before use).
 */
export function activeModelDir(dataDir: string): string | undefined {
  try {
    const a = JSON.parse(readFileSync(join(dataDir, 'models', 'active.json'), 'utf8')) as { dir?: unknown };
    return typeof a.dir === 'string' && existsSync(a.dir) ? a.dir : undefined;
  } catch {
    return undefined;
  }
}
