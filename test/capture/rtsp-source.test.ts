import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisFrame, SourceStatus } from '../../capture/index.js';
import { freePort, waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { discoverDurationMs } from './fixtures.js';
import { captureHarness, type Harness } from './harness.js';
import { type RtspServer, startRtspServer } from './rtsp-fixture.js';

const STALL_MS = 2000;

describe('rtsp source against a real RTSP server on loopback', () => {
  let h: Harness;
  let server: RtspServer | undefined;
  let port: number;
  const frames: AnalysisFrame[] = [];

  beforeAll(async () => {
    port = await freePort();
    server = await startRtspServer(port);
    h = captureHarness(
      tempDir(),
      [
        {
          name: 'room',
          kind: 'rtsp',
          role: 'room',
          enabled: true,
          url: server.url,
          protocol: 'tcp',
          latency_ms: 100,
        },
      ],
      {
        analysis_fps: 5,
        analysis_width: 96,
        analysis_height: 64,
        chunk_duration_s: 2,
        stall_timeout_ms: STALL_MS,
        lost_timeout_ms: 4000,
        restart_backoff_min_ms: 200,
        restart_backoff_max_ms: 1000,
      },
    );
    h.addCase('case-rtsp');
    await h.capture.start();
    h.capture.onFrame((f) => {
      frames.push(f);
    });
    h.capture.startRecording('case-rtsp');
  });
  afterAll(async () => {
    await h?.close();
    await server?.stop();
  });

  it('delivers frames and records, then reports the source lost when the server stops, and recovers with a new chunk and a recorded gap', async () => {
    await waitFor(() => frames.length >= 5, 30_000, 'frames from the RTSP source');
    expect(frames[0]).toMatchObject({ source: 'room', width: 96, height: 64 });
    await waitFor(() => h.chunks.length >= 1, 30_000, 'a first closed chunk');
    expect(h.status('room')).toMatchObject({ state: 'live', recording: true });

    const killedAt = Date.now();
    await server!.stop();
    server = undefined;
    const lost = (await waitFor(
      () => h.statuses.find((s) => s.sinceMs >= killedAt && s.state === 'lost'),
      STALL_MS + 5000,
      'the source to be reported lost',
    )) as SourceStatus;
    expect(lost.sinceMs - killedAt).toBeLessThanOrEqual(STALL_MS);
    expect(lost.lastError).toBeTruthy();
    const chunksBefore = h.chunks.length;
    const framesBefore = frames.length;

    const restartedAt = Date.now();
    server = await startRtspServer(port);
    await waitFor(() => h.status('room')?.state === 'live', 10_000, 'live again within 10 s');
    expect(Date.now() - restartedAt).toBeLessThan(10_000);
    await waitFor(() => frames.length > framesBefore + 3, 10_000, 'frames after recovery');
    const gap = await waitFor(() => h.gaps[0], 15_000, 'the recording gap event');
    expect(gap).toMatchObject({ source: 'room', caseId: 'case-rtsp' });
    // From the end of the last recorded chunk (its wall time is mapped from running time, good
    // to a few tens of ms) to the first chunk after the recovery: the whole outage.
    expect(gap.fromMs).toBeLessThanOrEqual(lost.sinceMs + 500);
    expect(gap.toMs - gap.fromMs).toBeGreaterThan(restartedAt - lost.sinceMs);
    expect(gap.fromMs).toBeGreaterThan(frames[0]!.tsMs);
    expect(gap.toMs).toBeGreaterThan(restartedAt);
    await waitFor(() => h.chunks.length > chunksBefore, 15_000, 'a chunk recorded after the recovery');
    await h.capture.stopRecording();

    // Two recording sessions (file prefix = session start), each chunk playable stream copy.
    const sessions = new Set(h.chunks.map((c) => c.path.split('/').at(-1)!.split('-')[0]));
    expect(sessions.size).toBeGreaterThanOrEqual(2);
    for (const c of h.chunks) {
      expect(discoverDurationMs(join(h.config.storage.data_dir, 'recordings', c.path))).toBeGreaterThan(0);
    }
    const rows = h.store.db
      .prepare('SELECT count(*) AS n FROM recordings WHERE case_id = ?')
      .get('case-rtsp') as { n: number };
    expect(rows.n).toBe(h.chunks.length);
    expect(h.status('room')!.restarts).toBeGreaterThanOrEqual(1);
  });
});
