import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../daemon/bus.js';
import { ROOT, waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import {
  CaseWriter,
  captureLog,
  caseSynced,
  centralDb,
  deviceConfig,
  makeBox,
  makeSync,
  openStore,
  useHeadquarters,
} from './harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('sync end to end (real mosquitto with TLS + ACLs, real orsight-central)', () => {
  const hq = useHeadquarters();

  it('a case produced on the box arrives complete at headquarters and the box marks it synced', async () => {
    const dataDir = tempDir();
    const store = openStore(dataDir);
    const { log, text } = captureLog();
    const config = deviceConfig(hq.broker, 'site-a', 'or-1', dataDir, { telemetry_cron: '*/1 * * * * *' });
    const bus = new EventBus(log);
    const part = makeSync(config, store, log, { bus });
    await part.start();
    try {
      const w = new CaseWriter(store.db, dataDir);
      const caseId = w.startCase('Jane Doe, MRN 123');
      const first = w.segment(caseId, 'preparation');
      w.event(caseId, 'source_lost');
      w.bookmark(caseId);
      w.segment(caseId, 'dissection');
      const rec = w.recording(caseId, 300_000);
      w.endCase(caseId);
      const correctionId = w.correction(caseId, first, 'calot_triangle_dissection');
      w.audit(caseId, 'case.correct');

      await waitFor(() => caseSynced(store.db, caseId), 30_000, 'case synced');

      const db = centralDb(hq.centralDir);
      // Records equal: every row the box has arrives with the same content, newest version.
      const segs = store.db
        .prepare(
          'SELECT id, phase, started_at, ended_at FROM phase_segments WHERE case_id = ? ORDER BY started_at',
        )
        .all(caseId) as Array<{ id: string; phase: string; started_at: number; ended_at: number }>;
      const got = db
        .prepare(
          `SELECT record_id, payload FROM records WHERE device = 'or-1' AND kind = 'phase_segment' AND case_id = ?`,
        )
        .all(caseId) as Array<{ record_id: string; payload: string }>;
      expect(got.map((g) => g.record_id).sort()).toEqual(segs.map((s) => s.id).sort());
      for (const s of segs) {
        const p = JSON.parse(got.find((g) => g.record_id === s.id)!.payload);
        expect(p).toMatchObject({ phase: s.phase, startedAt: s.started_at, endedAt: s.ended_at });
      }
      const caseRow = db
        .prepare(`SELECT payload FROM records WHERE kind = 'case' AND record_id = ?`)
        .get(caseId) as { payload: string };
      const casePayload = JSON.parse(caseRow.payload);
      expect(casePayload.endedAt).not.toBeNull();
      expect(casePayload.counts).toMatchObject({ phaseSegments: 2, events: 1, bookmarks: 1, recordings: 1 });
      // Corrections (the labels that improve the models) and audit entries arrive too.
      const correction = db
        .prepare(`SELECT payload FROM records WHERE kind = 'correction' AND record_id = ?`)
        .get(correctionId) as { payload: string };
      expect(JSON.parse(correction.payload)).toMatchObject({
        segmentId: first,
        correctedPhase: 'calot_triangle_dissection',
      });
      // The audit entry belongs to no case: wait for its own acknowledgement.
      await waitFor(
        () =>
          store.db.prepare(`SELECT 1 FROM outbox WHERE topic = 'rec/audit' AND acked_at IS NOT NULL`).get(),
        15_000,
        'audit entry acknowledged',
      );
      const audit = db
        .prepare(`SELECT payload FROM records WHERE kind = 'audit' AND device = 'or-1'`)
        .all() as Array<{ payload: string }>;
      expect(audit.map((a) => JSON.parse(a.payload))).toEqual([
        expect.objectContaining({ action: 'case.correct', target: caseId, detail: { via: 'review' } }),
      ]);
      // PHI never leaves the box.
      const all = db.prepare('SELECT payload FROM records').all() as Array<{ payload: string }>;
      expect(all.some((r) => r.payload.includes('Jane') || r.payload.includes('private note'))).toBe(false);
      // File sha256 equal.
      const file = db.prepare('SELECT path, sha256, state FROM files WHERE recording_id = ?').get(rec.id) as {
        path: string;
        sha256: string;
        state: string;
      };
      expect(file.state).toBe('complete');
      expect(file.sha256).toBe(sha(rec.data));
      expect(sha(readFileSync(file.path))).toBe(sha(rec.data));
      // Per-case completeness in the fleet view (CLI and JSON API).
      db.close();
      const cli = spawnSync(
        join(ROOT, 'bin', 'orsight-central'),
        ['fleet', '--json', '--data-dir', hq.centralDir],
        { encoding: 'utf8' },
      );
      expect(cli.status).toBe(0);
      const dev = (JSON.parse(cli.stdout) as { devices: Array<Record<string, unknown>> }).devices.find(
        (d) => d.device === 'or-1',
      );
      expect(dev).toMatchObject({ site: 'site-a', state: 'online', casesComplete: 1, casesTotal: 1 });
      const api = (await (
        await fetch(`http://127.0.0.1:${hq.central.httpPort()}/api/devices/site-a/or-1/cases`)
      ).json()) as { cases: Array<Record<string, unknown>> };
      expect(api.cases).toEqual([expect.objectContaining({ caseId, complete: true, filesComplete: 1 })]);

      // Telemetry reaches headquarters: host, per-source capture state, inference latency, outbox.
      bus.emit('capture.source_status', {
        source: 'endoscope',
        state: 'live',
        sinceMs: Date.now(),
        fpsIn: 30,
        fpsOut: 30,
        framesDropped: 4,
        restarts: 0,
        recording: true,
      });
      for (let i = 1; i <= 100; i++) {
        bus.emit('inference.frame', {
          source: 'endoscope',
          tsMs: Date.now(),
          probabilities: [1],
          rawClass: 'preparation',
          filteredPhase: 'preparation',
          outOfBody: false,
          confidence: 0.9,
          latencyMs: i,
          seq: i,
        });
      }
      const telemetry = await waitFor(
        () => {
          const d = centralDb(hq.centralDir);
          const t = d.prepare(`SELECT telemetry FROM devices WHERE device = 'or-1'`).get() as
            | { telemetry: string | null }
            | undefined;
          d.close();
          const parsed = t?.telemetry ? (JSON.parse(t.telemetry) as Record<string, unknown>) : undefined;
          return parsed && (parsed.sources as unknown[]).length > 0 ? parsed : undefined;
        },
        15_000,
        'telemetry at central',
      );
      expect(telemetry).toMatchObject({
        sources: [{ name: 'endoscope', state: 'live', fpsIn: 30, framesDropped: 4 }],
        inferenceLatencyMs: { p50: 51, p95: 96 },
        outbox: { pending: 0, inFlight: 0, dropped: {}, casesSynced: 1 },
        memory: { totalBytes: expect.any(Number) },
        disk: { freeBytes: expect.any(Number) },
      });
      expect(text()).toContain('case fully synced to headquarters');
    } finally {
      await part.stop();
      store.close();
    }
  });

  it('a video that changed on disk after it was recorded is not uploaded as the recording; IT sees why', async () => {
    const box = makeBox(hq.broker, 'site-a', 'or-2');
    const centralFileState = (recordingId: string) => {
      const d = centralDb(hq.centralDir);
      const f = d.prepare(`SELECT state FROM files WHERE recording_id = ?`).get(recordingId) as
        | { state: string }
        | undefined;
      d.close();
      return f?.state;
    };
    await box.part.start();
    try {
      const w = new CaseWriter(box.store.db, box.dataDir);
      const caseId = w.startCase();
      // Recorded (row with its sha256), then changed in place: same size, one byte different.
      const rec = w.recording(caseId, 200_000);
      const path = join(box.dataDir, 'recordings', caseId, 'endoscope', `${rec.id}.mp4`);
      const changed = Buffer.from(rec.data);
      changed[123_456] = changed[123_456]! ^ 0xff;
      writeFileSync(path, changed);
      const intact = w.recording(caseId, 200_000);
      w.endCase(caseId);

      const row = await waitFor(
        () =>
          box.store.db
            .prepare(
              `SELECT drop_reason FROM outbox WHERE kind = 'file' AND dropped_at IS NOT NULL AND CAST(payload AS TEXT) LIKE ?`,
            )
            .get(`%${rec.id}%`) as { drop_reason: string } | undefined,
        30_000,
        'the changed video refused',
      );
      expect(row.drop_reason).toBe('corrupt:changed_since_recording');
      expect(box.text()).toContain('recording changed on disk since it was recorded');
      await waitFor(() => centralFileState(intact.id) === 'complete', 30_000, 'the intact video stored');
      // Headquarters never completed the changed file.
      expect(centralFileState(rec.id)).not.toBe('complete');
    } finally {
      await box.close();
    }
  });
});
