import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { signCommand } from '../../sync/index.js';
import { ROOT, waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { captureLog, deviceConfig, makeSync, openStore, useHeadquarters } from './harness.js';

/** A small package folder: the inference part checks the real manifest; this stand-in marks broken ones. */
function makePackage(dir: string, version: string, broken = false): string {
  mkdirSync(join(dir, 'weights'), { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version, broken }));
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify({ modelTopology: {}, weightsManifest: [], pad: 'x'.repeat(20_000) }),
  );
  writeFileSync(join(dir, 'weights', 'group1-shard1of1.bin'), Buffer.alloc(30_000, 7));
  return dir;
}

describe('model rollout over MQTT: fetched, sha256 and signature verified, activated or rolled back', () => {
  const hq = useHeadquarters();
  const hqKeys = generateKeyPairSync('ed25519');
  const hqPem = hqKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  const addModel = (pkg: string, version: string) => {
    const r = spawnSync(
      join(ROOT, 'bin', 'orsight-central'),
      ['model', 'add', '--data-dir', hq.centralDir, '--version', version, pkg],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { fileId: string; version: string; sizeBytes: number; sha256: string };
  };

  it('activates a good package, rolls back a refused one, and refuses bytes whose sha256 differs from the signed command', async () => {
    const good = addModel(makePackage(join(tempDir(), 'pkg'), 'v2'), 'v2');
    const bad = addModel(makePackage(join(tempDir(), 'pkg'), 'v3', true), 'v3');
    const dataDir = tempDir();
    const store = openStore(dataDir);
    const { log } = captureLog();
    const activated: string[] = [];
    const config = deviceConfig(hq.broker, 'site-a', 'or-8', dataDir, {
      file_chunk_bytes: 8192,
      command_public_keys: [
        { id: 'hq', public_key: hqKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      ],
    });
    const part = makeSync(config, store, log, {
      activateModel: async (dir) => {
        const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
          broken: boolean;
          version: string;
        };
        if (m.broken) throw new Error('weights do not match the manifest');
        activated.push(m.version);
      },
    });
    await part.start();
    const admin = await mqtt.connectAsync(hq.broker.url, {
      protocolVersion: 5,
      ca: readFileSync(hq.broker.caFile),
      cert: readFileSync(hq.broker.identity('hq-admin').cert),
      key: readFileSync(hq.broker.identity('hq-admin').key),
    });
    try {
      await waitFor(() => part.health().state === 'connected', 10_000, 'box connected');
      const base = { v: 1, target: { site: 'site-a', device: 'or-8' }, keyId: 'hq', type: 'model_rollout' };
      const send = (id: string, params: object) =>
        admin.publishAsync(
          'orsight/v1/site-a/or-8/cmd',
          JSON.stringify(signCommand({ ...base, id, issuedAtMs: Date.now(), params }, hqPem)),
          { qos: 1 },
        );
      const status = (id: string) =>
        store.db.prepare('SELECT status, detail FROM sync_commands WHERE id = ?').get(id) as
          | { status: string; detail: string }
          | undefined;

      await send('rollout-good-1', {
        version: good.version,
        fileId: good.fileId,
        sizeBytes: good.sizeBytes,
        sha256: good.sha256,
      });
      await waitFor(() => status('rollout-good-1'), 30_000, 'good rollout done');
      expect(status('rollout-good-1'), status('rollout-good-1')?.detail).toMatchObject({ status: 'applied' });
      expect(activated).toEqual(['v2']);
      const installed = join(dataDir, 'models', 'v2');
      expect(readFileSync(join(installed, 'weights', 'group1-shard1of1.bin'))).toEqual(
        Buffer.alloc(30_000, 7),
      );
      expect(JSON.parse(readFileSync(join(dataDir, 'models', 'active.json'), 'utf8'))).toMatchObject({
        version: 'v2',
        sha256: good.sha256,
      });

      await send('rollout-bad-01', {
        version: bad.version,
        fileId: bad.fileId,
        sizeBytes: bad.sizeBytes,
        sha256: bad.sha256,
      });
      await waitFor(() => status('rollout-bad-01'), 30_000, 'bad rollout done');
      expect(status('rollout-bad-01')).toMatchObject({ status: 'failed' });
      expect(JSON.parse(status('rollout-bad-01')!.detail).code).toBe('MODEL_ROLLED_BACK');
      expect(JSON.parse(readFileSync(join(dataDir, 'models', 'active.json'), 'utf8')).version).toBe('v2');
      expect(existsSync(join(dataDir, 'models', 'v3'))).toBe(false);

      // Bytes that are not what headquarters signed are never unpacked.
      await send('rollout-sha-01', {
        version: good.version,
        fileId: good.fileId,
        sizeBytes: good.sizeBytes,
        sha256: 'f'.repeat(64),
      });
      await waitFor(() => status('rollout-sha-01'), 30_000, 'mismatched rollout done');
      expect(JSON.parse(status('rollout-sha-01')!.detail).code).toBe('MODEL_SHA256_MISMATCH');
      expect(activated).toEqual(['v2']);
    } finally {
      await admin.endAsync();
      await part.stop();
      store.close();
    }
  });
});
