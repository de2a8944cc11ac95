import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Outbox } from '../../sync/outbox.js';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { cleanEnv, ROOT, waitFor } from '../helpers/process.js';
import { type S3Server, startS3 } from '../helpers/s3.js';
import { tempDir } from '../helpers/tmp.js';
import { CaseWriter, caseSynced, centralDb, makeBox, startCentral } from './harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Files left in central's directory for a device (part files, local copies). */
function localFiles(centralDir: string, site: string, device: string): string[] {
  const dir = join(centralDir, 'files', site, device);
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('orsight-central storing files in an S3 bucket (s3rver, real mosquitto with TLS, the box sync part)', () => {
  let broker: Broker;
  let s3: S3Server;

  beforeAll(async () => {
    broker = await startMosquitto();
    s3 = await startS3();
  });

  const s3Options = (prefix: string) => ({
    extraArgs: [
      '--s3-endpoint',
      s3.endpoint,
      '--s3-bucket',
      s3.bucket,
      '--s3-region',
      'us-east-1',
      '--s3-prefix',
      prefix,
      '--s3-force-path-style',
    ],
    env: {
      ORSIGHT_CENTRAL_S3_ACCESS_KEY_ID: s3.accessKeyId,
      ORSIGHT_CENTRAL_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    },
  });

  it('a recording arrives in the bucket with its sha256, the box marks the case synced, nothing stays on disk', async () => {
    const centralDir = tempDir('orsight-central-');
    const central = await startCentral(broker, centralDir, s3Options('hq/'));
    const box = makeBox(broker, 'site-a', 'or-1');
    const { dataDir, store, part } = box;
    await part.start();
    try {
      const w = new CaseWriter(store.db, dataDir);
      const { caseId, rec } = w.caseWithRecording(300_000);
      await waitFor(() => caseSynced(store.db, caseId), 60_000, 'case synced');
      const key = `hq/site-a/or-1/${rec.id}`;
      const db = centralDb(centralDir);
      const file = db.prepare('SELECT path, sha256, state FROM files WHERE recording_id = ?').get(rec.id) as {
        path: string;
        sha256: string;
        state: string;
      };
      db.close();
      expect(file).toEqual({ path: `s3://${s3.bucket}/${key}`, sha256: sha(rec.data), state: 'complete' });
      expect(await s3.object(key)).toEqual({
        sha256: sha(rec.data),
        sizeBytes: rec.data.length,
        metadata: { sha256: sha(rec.data) },
      });
      expect(s3.puts(key)).toBe(1);
      // The bucket is the store: no part file, no local copy.
      expect(localFiles(centralDir, 'site-a', 'or-1')).toEqual([]);
      expect(central.output()).toContain('file stored in the bucket');
      // Where files go is logged; the credentials are not.
      expect(central.output()).toContain('files go to the S3 bucket');
      expect(central.output()).not.toContain(s3.secretAccessKey);
      expect(central.output()).not.toContain(s3.accessKeyId);
    } finally {
      await box.close();
      await central.stop();
    }
  });

  it('a file received twice is stored once: central killed after the PUT and before recording it, then the whole file sent again', async () => {
    const centralDir = tempDir('orsight-central-');
    const options = s3Options('twice/');
    let central = await startCentral(broker, centralDir, {
      ...options,
      env: { ...options.env, ORSIGHT_CENTRAL_FAULT_KILL_AFTER_OBJECT_PUT: '1' },
    });
    const box = makeBox(broker, 'site-a', 'or-2');
    const { dataDir, store, part, text } = box;
    await part.start();
    try {
      const w = new CaseWriter(store.db, dataDir);
      const { caseId, rec } = w.caseWithRecording(200_000);
      const key = `twice/site-a/or-2/${rec.id}`;
      // Central dies between the bucket's confirmation and its own record of the file.
      expect(await central.exited).toEqual({ code: null, signal: 'SIGKILL' });
      expect(s3.puts(key)).toBe(1);
      expect(caseSynced(store.db, caseId)).toBe(false);

      central = await startCentral(broker, centralDir, options);
      await waitFor(() => caseSynced(store.db, caseId), 60_000, 'case synced after the restart');
      expect(central.output()).toContain('file already in the bucket (same sha256); not uploaded again');
      expect(s3.puts(key)).toBe(1);

      // The box forgets it ever sent the file and sends all of it again (a re-sync of the case).
      store.db.prepare('DELETE FROM sync_files WHERE recording_id = ?').run(rec.id);
      expect(new Outbox(store.db).resyncCase(caseId)).toBeGreaterThan(0);
      await waitFor(() => caseSynced(store.db, caseId), 60_000, 'case synced again');
      expect(text().split('file uploaded and stored at headquarters').length - 1).toBe(2);
      expect(s3.puts(key)).toBe(1);
      expect(await s3.keys('twice/')).toEqual([key]);
      expect((await s3.object(key)).sha256).toBe(sha(rec.data));
      const db = centralDb(centralDir);
      expect(db.prepare('SELECT count(*) AS n, min(state) AS state FROM files').get()).toEqual({
        n: 1,
        state: 'complete',
      });
      db.close();
      expect(localFiles(centralDir, 'site-a', 'or-2')).toEqual([]);
    } finally {
      await box.close();
      await central.stop();
    }
  });

  it('S3 down at fin: fin fails, the box keeps the file and retries, and it arrives once S3 is back', async () => {
    const centralDir = tempDir('orsight-central-');
    const central = await startCentral(broker, centralDir, s3Options('outage/'));
    const box = makeBox(broker, 'site-a', 'or-3');
    const { dataDir, store, part, text } = box;
    await s3.stop();
    let s3Down = true;
    await part.start();
    try {
      const w = new CaseWriter(store.db, dataDir);
      const { caseId, rec } = w.caseWithRecording(300_000);
      await waitFor(
        () => central.output().includes('file not stored in the bucket; the device will send fin again'),
        60_000,
        'fin refused while S3 is down',
      );
      await waitFor(
        () => text().includes('file upload interrupted; will resume'),
        30_000,
        'the box to notice the failed fin',
      );
      // Nothing is forgotten: the box still owes the file, central still holds the part file.
      const item = store.db
        .prepare(`SELECT acked_at, dropped_at FROM outbox WHERE kind = 'file' AND case_id = ?`)
        .get(caseId);
      expect(item).toEqual({ acked_at: null, dropped_at: null });
      expect(caseSynced(store.db, caseId)).toBe(false);
      let db = centralDb(centralDir);
      expect(db.prepare('SELECT state FROM files WHERE recording_id = ?').get(rec.id)).toEqual({
        state: 'receiving',
      });
      db.close();
      expect(localFiles(centralDir, 'site-a', 'or-3')).toEqual([`${rec.id}.part`]);

      await s3.start();
      s3Down = false;
      await waitFor(() => caseSynced(store.db, caseId), 60_000, 'case synced after S3 returned');
      const key = `outage/site-a/or-3/${rec.id}`;
      expect((await s3.object(key)).sha256).toBe(sha(rec.data));
      expect(s3.puts(key)).toBe(1);
      db = centralDb(centralDir);
      expect(db.prepare('SELECT state, sha256 FROM files WHERE recording_id = ?').get(rec.id)).toEqual({
        state: 'complete',
        sha256: sha(rec.data),
      });
      // Every chunk was stored once; the retries sent only fin again.
      expect(db.prepare('SELECT count(*) AS n FROM file_chunks WHERE file_id = ?').get(rec.id)).toEqual({
        n: Math.ceil(300_000 / 65_536),
      });
      db.close();
      expect(localFiles(centralDir, 'site-a', 'or-3')).toEqual([]);
    } finally {
      if (s3Down) await s3.start();
      await box.close();
      await central.stop();
    }
  });
});

describe('orsight-central serve: bad S3 configuration', () => {
  /** Runs serve against a broker that is not there; resolves with its exit code and stderr. */
  const serve = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const dataDir = tempDir('orsight-central-');
    const child = spawn(
      join(ROOT, 'bin', 'orsight-central'),
      ['serve', '--broker', 'mqtts://127.0.0.1:1', '--data-dir', dataDir, ...args],
      { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    return new Promise<{ code: number | null; stderr: string; dbCreated: boolean }>((resolve) =>
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr, dbCreated: existsSync(join(dataDir, 'central.db')) });
      }),
    );
  };

  it('exits 2 naming the option, before opening the store or connecting, without printing secrets', async () => {
    const secret = 'do-not-print-this-secret';
    const cases: Array<{ args: string[]; env?: NodeJS.ProcessEnv; names: string }> = [
      { args: ['--s3-endpoint', 'http://127.0.0.1:9000'], names: '--s3-bucket: required when --s3-endpoint' },
      { args: ['--s3-bucket', 'Bad_Bucket'], names: '--s3-bucket: "Bad_Bucket" is not a bucket name' },
      { args: ['--s3-bucket', 'orsight', '--s3-endpoint', 'ftp://host'], names: '--s3-endpoint: must be' },
      {
        args: ['--s3-bucket', 'orsight', '--s3-endpoint', `http://key:${secret}@host`],
        names: '--s3-endpoint: must not carry credentials',
      },
      { args: ['--s3-bucket', 'orsight', '--s3-prefix', '/abs/'], names: '--s3-prefix:' },
      {
        args: ['--s3-bucket', 'orsight'],
        env: { ORSIGHT_CENTRAL_S3_SECRET_ACCESS_KEY: secret },
        names: 'ORSIGHT_CENTRAL_S3_ACCESS_KEY_ID:',
      },
      {
        args: ['--s3-bucket', 'orsight', '--s3-secret-access-key-file', '/nonexistent/secret'],
        env: { ORSIGHT_CENTRAL_S3_ACCESS_KEY_ID: 'id' },
        names: '--s3-secret-access-key-file: cannot read /nonexistent/secret',
      },
    ];
    const results = await Promise.all(cases.map((c) => serve(c.args, c.env)));
    results.forEach((r, i) => {
      expect(r.stderr).toContain(cases[i]!.names);
      expect(r.stderr).not.toContain(secret);
      expect(r.code).toBe(2);
      expect(r.dbCreated).toBe(false);
    });
  });
});
