import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type BusDaemon, startBusDaemon } from '../cases/fixtures/bus-daemon-client.js';
import { freePort, waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { centralDb, useHeadquarters } from './harness.js';

const live = (atMs: number) => ({
  source: 'endoscope',
  state: 'live',
  sinceMs: atMs,
  fpsIn: 25,
  fpsOut: 5,
  framesDropped: 0,
  restarts: 0,
  recording: true,
});
const phase = (p: string, atMs: number) => ({
  type: 'phase_started',
  source: 'endoscope',
  phase: p,
  atMs,
  confidence: 0.9,
  modelVersion: 'test-1',
});

function boxRows(dbFile: string) {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return {
      segments: db
        .prepare('SELECT id, phase, started_at, ended_at FROM phase_segments ORDER BY id')
        .all() as Array<{
        id: string;
        phase: string;
        started_at: number;
        ended_at: number | null;
      }>,
      pending: (
        db
          .prepare('SELECT count(*) AS n FROM outbox WHERE acked_at IS NULL AND dropped_at IS NULL')
          .get() as { n: number }
      ).n,
      records: (db.prepare(`SELECT count(*) AS n FROM outbox WHERE kind = 'record'`).get() as { n: number })
        .n,
    };
  } finally {
    db.close();
  }
}

describe('the real daemon (buildDaemon) syncs its case engine through SyncPart, across kill -9', () => {
  const hq = useHeadquarters();
  let daemon: BusDaemon | undefined;

  afterEach(async () => {
    if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
  });

  const daemonEnv = async (dataDir: string, device: string, extra: Record<string, string> = {}) => {
    const id = hq.broker.identity(`site-d/${device}`);
    return {
      ORSIGHT_STORAGE__DATA_DIR: dataDir,
      ORSIGHT_HTTP__PORT: String(await freePort()),
      ORSIGHT_CASES__AUTO_START_AFTER_S: '0.2',
      ORSIGHT_DEVICE__SITE: 'site-d',
      ORSIGHT_DEVICE__ID: device,
      ORSIGHT_SYNC__ENABLED: 'true',
      ORSIGHT_SYNC__BROKER_URL: hq.broker.url,
      ORSIGHT_SYNC__CA_FILE: hq.broker.caFile,
      ORSIGHT_SYNC__CERT_FILE: id.cert,
      ORSIGHT_SYNC__KEY_FILE: id.key,
      ORSIGHT_SYNC__POLL_INTERVAL_MS: '50',
      ORSIGHT_SYNC__ACK_TIMEOUT_MS: '2000',
      ORSIGHT_SYNC__RECONNECT_MIN_MS: '100',
      ORSIGHT_SYNC__DISK_MIN_FREE_MB: '0',
      ...extra,
    };
  };

  it('segments written by the case engine reach headquarters once, before and after a kill -9', async () => {
    const dataDir = tempDir();
    const dbFile = join(dataDir, 'orsight.db');
    const env = await daemonEnv(dataDir, 'or-1');
    const hqSegments = () => {
      const db = centralDb(hq.centralDir);
      try {
        return db
          .prepare(
            `SELECT record_id, payload FROM records WHERE device = 'or-1' AND kind = 'phase_segment' ORDER BY record_id`,
          )
          .all() as Array<{
          record_id: string;
          payload: string;
        }>;
      } catch {
        return [];
      } finally {
        db.close();
      }
    };

    daemon = await startBusDaemon(env);
    const t0 = Date.now();
    daemon.emit('capture.source_status', live(t0));
    daemon.emit('inference.phase', phase('preparation', t0));
    await waitFor(() => hqSegments().length === 1, 30_000, 'the first segment at headquarters');
    const t1 = Date.now();
    daemon.emit('inference.phase', phase('calot_triangle_dissection', t1));
    await waitFor(() => boxRows(dbFile).segments.length === 2, 20_000, 'the second segment on the box');

    // kill -9 right after the write: the outbox item was committed with the segment.
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    daemon = await startBusDaemon(env);
    daemon.emit('capture.source_status', live(Date.now()));
    daemon.emit('inference.phase', phase('clipping_and_cutting', Date.now()));
    await waitFor(
      () => {
        const box = boxRows(dbFile);
        return box.segments.length === 3 && box.pending === 0;
      },
      30_000,
      'everything acknowledged after the restart',
    );

    const box = boxRows(dbFile);
    const atHq = hqSegments();
    expect(atHq.map((r) => r.record_id)).toEqual(box.segments.map((s) => s.id));
    for (const s of box.segments) {
      const p = JSON.parse(atHq.find((r) => r.record_id === s.id)!.payload) as {
        phase: string;
        startedAt: number;
        endedAt: number | null;
      };
      expect(p).toMatchObject({ phase: s.phase, startedAt: s.started_at, endedAt: s.ended_at });
    }
    const db = centralDb(hq.centralDir);
    const stored = (
      db.prepare(`SELECT count(*) AS n FROM messages WHERE device = 'or-1'`).get() as { n: number }
    ).n;
    db.close();
    expect(stored).toBe(box.records);

    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });

  it('an upload resumes after kill -9 of the daemon, several times, and arrives intact', async () => {
    const dataDir = tempDir();
    const dbFile = join(dataDir, 'orsight.db');
    const chunkBytes = 32_768;
    const sizeBytes = 1_400_000;
    const env = await daemonEnv(dataDir, 'or-2', {
      ORSIGHT_SYNC__FILE_CHUNK_BYTES: String(chunkBytes),
      ORSIGHT_SYNC__FILE_CHUNK_WINDOW: '2',
      ORSIGHT_SYNC__UPLOAD_RATE_BYTES_PER_S: '300000',
    });
    daemon = await startBusDaemon(env);
    daemon.emit('capture.source_status', live(Date.now()));
    daemon.emit('inference.phase', phase('preparation', Date.now()));
    const caseId = await waitFor(
      () => {
        const db = new Database(dbFile, { readonly: true, fileMustExist: true });
        try {
          return (
            db.prepare('SELECT id FROM cases WHERE ended_at IS NULL').get() as { id: string } | undefined
          )?.id;
        } finally {
          db.close();
        }
      },
      20_000,
      'the case to open',
    );
    // A closed recording chunk, as capture writes it (file first, then its row).
    const data = randomBytes(sizeBytes);
    const rel = `${caseId}/endoscope/chunk-0001.mp4`;
    mkdirSync(join(dataDir, 'recordings', caseId, 'endoscope'), { recursive: true });
    writeFileSync(join(dataDir, 'recordings', rel), data);
    const writer = new Database(dbFile, { timeout: 10_000 });
    writer
      .prepare(
        'INSERT INTO recordings (id, case_id, source_name, path, started_at, duration_ms, size_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run('rec-0001', caseId, 'endoscope', rel, Date.now(), 10_000, sizeBytes);
    writer.close();
    const chunksAtHq = () => {
      const db = centralDb(hq.centralDir);
      try {
        return (
          db.prepare(`SELECT count(*) AS n FROM file_chunks WHERE device = 'or-2'`).get() as { n: number }
        ).n;
      } finally {
        db.close();
      }
    };
    const total = Math.ceil(sizeBytes / chunkBytes);
    for (let k = 0; k < 2; k++) {
      const target = Math.min(total - 3, chunksAtHq() + 4 + Math.floor(Math.random() * 6));
      await waitFor(() => chunksAtHq() >= target, 40_000, `upload to reach chunk ${target}`);
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      daemon = await startBusDaemon(env);
    }
    await waitFor(
      () => {
        const db = centralDb(hq.centralDir);
        try {
          return (
            (
              db.prepare(`SELECT state FROM files WHERE recording_id = 'rec-0001'`).get() as
                | { state: string }
                | undefined
            )?.state === 'complete'
          );
        } finally {
          db.close();
        }
      },
      60_000,
      'the file complete at headquarters',
    );
    const db = centralDb(hq.centralDir);
    const file = db.prepare(`SELECT path, sha256 FROM files WHERE recording_id = 'rec-0001'`).get() as {
      path: string;
      sha256: string;
    };
    const resent =
      (
        db.prepare(`SELECT value FROM counters WHERE name = 'chunks_resent'`).get() as
          | { value: number }
          | undefined
      )?.value ?? 0;
    db.close();
    expect(file.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(createHash('sha256').update(readFileSync(file.path)).digest('hex')).toBe(file.sha256);
    expect(chunksAtHq()).toBe(total);
    // Resumed each time: at most the two chunks in flight at each kill went again.
    expect(resent).toBeLessThanOrEqual(2 * 2);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });
});
