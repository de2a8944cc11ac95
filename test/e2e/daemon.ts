import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildWebApp } from '../../ui/web/build.js';
import { type DaemonProcess, freePort, spawnDaemon, waitFor } from '../helpers/process.js';

export interface RunningDaemon {
  proc: DaemonProcess;
  port: number;
  baseUrl: string;
  dataDir: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Builds the web app if its sources changed (milliseconds when they did not). */
export async function ensureWebBuilt(): Promise<void> {
  await buildWebApp();
}

/**
 * Starts the real daemon on `dataDir` and a free loopback port (or `port`, to restart on
 * the same address) and waits until /readyz says every part is up.
 */
export async function startDaemon(
  dataDir: string,
  options: { env?: NodeJS.ProcessEnv; port?: number; configFile?: string } = {},
): Promise<RunningDaemon> {
  const p = options.port ?? (await freePort());
  const proc = spawnDaemon(options.configFile ? ['--config', options.configFile] : [], {
    ORSIGHT_HTTP__HOST: '127.0.0.1',
    ORSIGHT_HTTP__PORT: String(p),
    ORSIGHT_STORAGE__DATA_DIR: dataDir,
    ORSIGHT_STORAGE__SYNCHRONOUS: 'NORMAL',
    ORSIGHT_LOG__LEVEL: 'warn',
    ...options.env,
  });
  const baseUrl = `http://127.0.0.1:${p}`;
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  await waitFor(
    async () => {
      if (exited) throw new Error(`daemon exited during start:\n${proc.output().slice(-4000)}`);
      const res = await fetch(`${baseUrl}/readyz`);
      return res.ok;
    },
    90_000,
    `daemon ready on ${baseUrl}`,
    200,
  ).catch((err: Error) => {
    proc.child.kill('SIGKILL');
    throw new Error(`${err.message}\n--- daemon output ---\n${proc.output().slice(-4000)}`);
  });
  return {
    proc,
    port: p,
    baseUrl,
    dataDir,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exited) return;
      proc.child.kill(signal);
      await proc.exited;
    },
  };
}

export function dbPath(dataDir: string): string {
  return join(dataDir, 'orsight.db');
}

/** Writes a YAML config file (sections as in config/orsight.example.yaml) and returns its path. */
export function writeConfig(dir: string, config: Record<string, unknown>): string {
  const file = join(dir, 'orsight.yaml');
  writeFileSync(file, stringify(config));
  return file;
}
