import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { cleanEnv, ROOT, TSX, waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { CaseWriter, caseSynced, centralDb, openStore, startCentral } from './harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function boxOverrides(broker: Broker, dataDir: string, sync: Record<string, unknown>) {
  const id = broker.identity('site-a/or-1');
  return {
    device: { site: 'site-a', id: 'or-1' },
    storage: { data_dir: dataDir, synchronous: 'FULL' },
    sync: {
      enabled: true,
      broker_url: broker.url,
      ca_file: broker.caFile,
      cert_file: id.cert,
      key_file: id.key,
      poll_interval_ms: 50,
      ack_timeout_ms: 1500,
      retry_min_ms: 200,
      retry_max_ms: 1000,
      reconnect_min_ms: 100,
      reconnect_max_ms: 1000,
      file_response_timeout_ms: 5000,
      disk_min_free_mb: 0,
      ...sync,
    },
  };
}

function spawnBox(overrides: unknown): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<unknown>;
} {
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'test', 'sync', 'fixtures', 'box.ts')], {
    env: { ...cleanEnv(), ORSIGHT_TEST_BOX_CONFIG: JSON.stringify(overrides) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise((r) => child.on('exit', r));
  return { child, output: () => out, exited };
}

describe('crashes: kill -9 of the box during an upload, kill -9 of central before it acknowledges', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });

  it('the upload resumes from the last acknowledged chunk after each kill -9; nothing lost or duplicated', async () => {
    const centralDir = tempDir('orsight-central-');
    const central = await startCentral(broker, centralDir);
    const dataDir = tempDir();
    const chunkBytes = 32_768;
    const window = 2;
    const sizeBytes = 1_600_000;
    const totalChunks = Math.ceil(sizeBytes / chunkBytes);
    const store = openStore(dataDir);
    const w = new CaseWriter(store.db, dataDir);
    const { caseId, rec } = w.caseWithRecording(sizeBytes);
    store.close();
    const overrides = boxOverrides(broker, dataDir, {
      file_chunk_bytes: chunkBytes,
      file_chunk_window: window,
      upload_rate_bytes_per_s: 350_000,
    });
    const chunksAtHq = () => {
      const db = centralDb(centralDir);
      try {
        return (
          db.prepare('SELECT count(*) AS n FROM file_chunks WHERE file_id = ?').get(rec.id) as { n: number }
        ).n;
      } catch {
        return 0;
      } finally {
        db.close();
      }
    };
    const kills = 3;
    try {
      for (let k = 0; k < kills; k++) {
        const box = spawnBox(overrides);
        const target = Math.min(totalChunks - 3, chunksAtHq() + 3 + Math.floor(Math.random() * 8));
        await waitFor(
          () => chunksAtHq() >= target,
          40_000,
          `upload to reach chunk ${target} (kill ${k + 1})`,
        ).catch((err: Error) => {
          throw new Error(
            `${err.message}\nbox: ${box.output().slice(-3000)}\ncentral: ${central.output().slice(-2000)}`,
          );
        });
        box.child.kill('SIGKILL');
        await box.exited;
        if (k === 0) {
          // The broker publishes the Will: headquarters sees the box offline.
          await waitFor(
            () => {
              const db = centralDb(centralDir);
              const row = db.prepare(`SELECT state FROM devices WHERE device = 'or-1'`).get() as
                | { state: string }
                | undefined;
              db.close();
              return row?.state === 'offline';
            },
            10_000,
            'Will to mark the box offline',
          );
        }
      }
      const box = spawnBox(overrides);
      try {
        const check = openStore(dataDir);
        await waitFor(() => caseSynced(check.db, caseId), 60_000, 'case synced after the crashes');
        expect(
          (check.db.prepare('SELECT count(*) AS n FROM sync_file_chunks').get() as { n: number }).n,
        ).toBe(totalChunks);
        check.close();
        expect(box.output()).toContain('resuming upload after the last acknowledged chunk');
      } finally {
        box.child.kill('SIGTERM');
        await box.exited;
      }
      const db = centralDb(centralDir);
      const file = db.prepare('SELECT path, sha256, state FROM files WHERE recording_id = ?').get(rec.id) as {
        path: string;
        sha256: string;
        state: string;
      };
      expect(file.state).toBe('complete');
      expect(sha(readFileSync(file.path))).toBe(sha(rec.data));
      expect(db.prepare('SELECT count(*) AS n FROM file_chunks WHERE file_id = ?').get(rec.id)).toEqual({
        n: totalChunks,
      });
      // Resumed, not restarted: at most the chunks in flight at each kill were sent again.
      const resent =
        (
          db.prepare(`SELECT value FROM counters WHERE name = 'chunks_resent'`).get() as
            | { value: number }
            | undefined
        )?.value ?? 0;
      expect(resent).toBeLessThanOrEqual(kills * window);
      expect(
        db
          .prepare(`SELECT count(*) AS n FROM records WHERE kind = 'phase_segment' AND case_id = ?`)
          .get(caseId),
      ).toEqual({ n: 1 });
      db.close();
    } finally {
      await central.stop();
    }
  });

  it('a file headquarters lost track of (restored database) is started over and arrives intact', async () => {
    const centralDir = tempDir('orsight-central-');
    let central = await startCentral(broker, centralDir);
    const dataDir = tempDir();
    const store = openStore(dataDir);
    const w = new CaseWriter(store.db, dataDir);
    const caseId = w.startCase();
    const rec = w.recording(caseId, 1_200_000);
    w.endCase(caseId);
    store.close();
    const box = spawnBox(
      boxOverrides(broker, dataDir, {
        file_chunk_bytes: 32_768,
        file_chunk_window: 2,
        upload_rate_bytes_per_s: 300_000,
      }),
    );
    try {
      const chunksAtHq = () => {
        const db = centralDb(centralDir);
        try {
          return (db.prepare('SELECT count(*) AS n FROM file_chunks').get() as { n: number }).n;
        } finally {
          db.close();
        }
      };
      await waitFor(() => chunksAtHq() >= 6, 30_000, 'upload under way');
      // Headquarters loses the file's state (e.g. its database restored from an older backup).
      await central.stop();
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(join(centralDir, 'central.db'));
      db.exec('DELETE FROM file_chunks; DELETE FROM files;');
      db.close();
      central = await startCentral(broker, centralDir);
      const check = openStore(dataDir);
      await waitFor(() => caseSynced(check.db, caseId), 60_000, 'case synced');
      check.close();
      expect(box.output()).toContain('headquarters asked to start this file over');
      const hq = centralDb(centralDir);
      const file = hq.prepare('SELECT path, state FROM files WHERE recording_id = ?').get(rec.id) as {
        path: string;
        state: string;
      };
      hq.close();
      expect(file.state).toBe('complete');
      expect(sha(readFileSync(file.path))).toBe(sha(rec.data));
    } finally {
      box.child.kill('SIGTERM');
      await box.exited;
      await central.stop();
    }
  });

  it('records stored by central that was killed before acknowledging are sent again and stored once', async () => {
    const centralDir = tempDir('orsight-central-');
    const dataDir = tempDir();
    const store = openStore(dataDir);
    const w = new CaseWriter(store.db, dataDir);
    const caseId = w.startCase();
    for (let i = 0; i < 20; i++) w.event(caseId, 'phase_hint');
    w.endCase(caseId);
    const expected = (
      store.db.prepare('SELECT id FROM outbox WHERE case_id = ?').all(caseId) as Array<{ id: string }>
    )
      .map((r) => r.id)
      .sort();
    store.close();
    // The first ingest dies (SIGKILL) right after committing, before any acknowledgement.
    const doomed = await startCentral(broker, centralDir, {
      env: { ORSIGHT_CENTRAL_FAULT_KILL_AFTER_STORED: '1' },
    });
    const box = spawnBox(boxOverrides(broker, dataDir, {}));
    try {
      const exit = (await doomed.exited) as { signal: string | null };
      expect(exit.signal).toBe('SIGKILL');
      const storedBeforeKill = (() => {
        const db = centralDb(centralDir);
        const n = (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
        db.close();
        return n;
      })();
      expect(storedBeforeKill).toBeGreaterThan(0);
      const check = openStore(dataDir);
      expect(
        (
          check.db.prepare('SELECT count(*) AS n FROM outbox WHERE acked_at IS NOT NULL').get() as {
            n: number;
          }
        ).n,
      ).toBe(0);
      const central = await startCentral(broker, centralDir);
      try {
        await waitFor(() => caseSynced(check.db, caseId), 60_000, 'case synced after central restarted');
      } finally {
        check.close();
        await central.stop();
      }
      const db = centralDb(centralDir);
      const ids = (
        db.prepare('SELECT msg_id FROM messages ORDER BY msg_id').all() as Array<{ msg_id: string }>
      ).map((r) => r.msg_id);
      expect(ids).toEqual(expected);
      expect(db.prepare(`SELECT count(*) AS n FROM records WHERE kind = 'event'`).get()).toEqual({ n: 20 });
      // The resends were recognised as duplicates, not stored again.
      const dups =
        (
          db.prepare(`SELECT value FROM counters WHERE name = 'duplicates'`).get() as
            | { value: number }
            | undefined
        )?.value ?? 0;
      expect(dups).toBeGreaterThanOrEqual(1);
      db.close();
    } finally {
      box.child.kill('SIGTERM');
      await box.exited;
    }
  });
});
