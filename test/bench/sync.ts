/**
 * Sync benchmark: `npm run --silent bench -- sync --json`.
 *
 * - recordsPerS: timeline records through outbox → broker → orsight-central (stored,
 *   fsynced) → acknowledgement back on the box, production defaults (window 64).
 * - ratio: video upload MB/s (chunks with sha256, each fsynced and acknowledged by central;
 *   from the upload's init to central's fin response) ÷ `mosquitto_pub -f` of the same bytes
 *   to the same broker listener in the same run (process start to PUBACK; medians), as a
 *   device identity of its own (not the box's: that would take over the box's session).
 *   fileEndToEndMBps also counts the wait for the next outbox poll.
 * - drainS: time to drain what a busy OR produces during a simulated outage (default one
 *   hour: 1 event/s, phase segments, bookmarks, audit entries, 10 s video chunks at
 *   --video-kbps), from the moment the box reconnects until headquarters acknowledged it all.
 *
 * Options: --records N (5000) --file-mb N (32) --runs N (7) --outage-s N (3600)
 * --video-kbps N (1000) --chunk-kb N (1024) --window N (8) --json
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Store } from '../../daemon/store/index.js';
import type { SyncPart } from '../../sync/index.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/process.js';
import { CaseWriter, deviceConfig, makeSync, openStore, startCentral } from '../sync/harness.js';

function option(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

/** The config defaults (the test harness shortens timeouts and chunks; the benchmark must not). */
const PRODUCTION_SYNC = {
  disk_min_free_mb: 0,
  poll_interval_ms: 200,
  ack_timeout_ms: 30_000,
  retry_min_ms: 2000,
  retry_max_ms: 300_000,
  file_chunk_bytes: 1_048_576,
  file_response_timeout_ms: 30_000,
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pending = (store: Store) =>
  (
    store.db
      .prepare('SELECT count(*) AS n FROM outbox WHERE acked_at IS NULL AND dropped_at IS NULL')
      .get() as { n: number }
  ).n;

export async function run(args: string[]): Promise<unknown> {
  const records = option(args, 'records', 5000);
  const fileMb = option(args, 'file-mb', 32);
  const runs = option(args, 'runs', 7);
  const outageS = option(args, 'outage-s', 3600);
  const videoKbps = option(args, 'video-kbps', 1000);
  const chunkKb = option(args, 'chunk-kb', 1024);
  const chunkWindow = option(args, 'window', 8);
  const sync = { ...PRODUCTION_SYNC, file_chunk_bytes: chunkKb * 1024, file_chunk_window: chunkWindow };
  const root = mkdtempSync(join(tmpdir(), 'orsight-bench-sync-'));
  const log = pino({ level: 'silent' });
  const broker = await startMosquitto({ dir: join(root, 'broker') });
  const central = await startCentral(broker, join(root, 'central'));
  const parts: Array<{ part: SyncPart; store: Store }> = [];
  const device = async (name: string, prepare?: (w: CaseWriter, store: Store) => void) => {
    const dataDir = join(root, name);
    const store = openStore(dataDir, 'FULL');
    prepare?.(new CaseWriter(store.db, dataDir), store);
    const part = makeSync(deviceConfig(broker, 'bench', name, dataDir, sync), store, log);
    parts.push({ part, store });
    const t0 = performance.now();
    await part.start();
    await waitFor(() => part.health().state === 'connected', 30_000, `${name} connected`, 5);
    return { store, part, dataDir, t0, w: new CaseWriter(store.db, dataDir) };
  };
  try {
    // 1. Records per second, end to end.
    const a = await device('rec');
    const caseId = a.w.startCase();
    await waitFor(() => pending(a.store) === 0, 30_000, 'case record acknowledged', 5);
    const t1 = performance.now();
    a.store.tx(() => {
      for (let i = 0; i < records; i++) a.w.event(caseId, 'phase_hint');
    });
    await waitFor(() => pending(a.store) === 0, 600_000, 'records acknowledged', 5);
    const recordsPerS = records / ((performance.now() - t1) / 1000);

    // 2. File transfer vs. mosquitto_pub -f of the same bytes to the same broker.
    const b = await device('file');
    const fileCase = b.w.startCase();
    const ours: number[] = [];
    const endToEnd: number[] = [];
    const baseline: number[] = [];
    for (let r = 0; r < runs; r++) {
      const recId = b.w.recordingFile(fileCase, fileMb * 1_048_576);
      const started = performance.now();
      await waitFor(() => pending(b.store) === 0, 600_000, 'file acknowledged', 5);
      endToEnd.push(fileMb / ((performance.now() - started) / 1000));
      // The transfer itself: from the upload's start (init) to headquarters' fin response.
      const t = b.store.db
        .prepare('SELECT fin_acked_at - created_at AS ms FROM sync_files WHERE recording_id = ?')
        .get(recId) as { ms: number };
      ours.push(fileMb / (Math.max(1, t.ms) / 1000));
      const path = join(b.dataDir, 'recordings', fileCase, 'endoscope', `${recId}.mp4`);
      const p0 = performance.now();
      const pub = spawnSync(
        'mosquitto_pub',
        [
          // Its own identity: the box's certificate would give mosquitto_pub the box's client
          // id (use_username_as_clientid), and the broker would disconnect the box (session
          // takeover), interrupting the next measured upload. Same listener, TLS and ACL rule.
          ...broker.cliArgs('bench/baseline'),
          '-q',
          '1',
          '-t',
          `orsight/v1/bench/baseline/file/baseline-${r}/0`,
          '-f',
          path,
        ],
        { encoding: 'utf8' },
      );
      if (pub.status !== 0) throw new Error(`mosquitto_pub failed: ${pub.stderr}`);
      baseline.push(fileMb / ((performance.now() - p0) / 1000));
    }
    const fileMBps = median(ours);
    const baselineMBps = median(baseline);

    // 3. Drain after a simulated outage of a busy OR.
    const chunkS = 10;
    const chunkBytes = Math.round((videoKbps * 1000 * chunkS) / 8);
    let drainRecords = 0;
    let drainVideoBytes = 0;
    const c = await device('drain', (w, store) => {
      store.tx(() => {
        const id = w.startCase();
        const start = Date.now() - outageS * 1000;
        for (let s = 0; s < outageS; s++) {
          w.event(id, 'phase_hint', start + s * 1000);
          if (s % 60 === 0) w.segment(id, `phase_${(s / 60) % 12}`);
          if (s % 120 === 0) w.bookmark(id);
          if (s % chunkS === 0) {
            w.recordingFile(id, chunkBytes, start + s * 1000);
            drainVideoBytes += chunkBytes;
          }
        }
        w.endCase(id);
      });
      drainRecords = (
        store.db.prepare(`SELECT count(*) AS n FROM outbox WHERE kind = 'record'`).get() as { n: number }
      ).n;
    });
    await waitFor(() => pending(c.store) === 0, 3_600_000, 'outage backlog drained', 20);
    const drainS = (performance.now() - c.t0) / 1000;

    return {
      recordsPerS: Math.round(recordsPerS),
      records,
      fileMBps: Math.round(fileMBps * 10) / 10,
      baselineMBps: Math.round(baselineMBps * 10) / 10,
      fileEndToEndMBps: Math.round(median(endToEnd) * 10) / 10,
      ratio: Math.round((fileMBps / baselineMBps) * 100) / 100,
      perRun: {
        fileMBps: ours.map((v) => Math.round(v * 10) / 10),
        baselineMBps: baseline.map((v) => Math.round(v * 10) / 10),
      },
      fileMb,
      runs,
      drainS: Math.round(drainS * 10) / 10,
      drainRecords,
      drainVideoMb: Math.round(drainVideoBytes / 1_048_576),
      outageS,
      videoKbps,
      chunkKb,
      chunkWindow,
      loadAverage1m: Math.round(loadavg()[0]! * 10) / 10,
      broker: 'mosquitto, TLS on loopback, orsight-central with SQLite synchronous=FULL',
    };
  } finally {
    for (const { part, store } of parts) {
      await part.stop().catch(() => undefined);
      store.close();
    }
    await central.stop();
    await broker.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
