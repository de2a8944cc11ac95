import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisFrame } from '../../capture/index.js';
import { waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { discoverDurationMs } from './fixtures.js';
import { captureHarness, type Harness } from './harness.js';

describe('recording follows the case: start, pause (privacy), resume, stop', () => {
  let h: Harness;
  const frames: AnalysisFrame[] = [];

  beforeAll(async () => {
    h = captureHarness(tempDir(), [{ name: 'scope', kind: 'sim', role: 'endoscope', enabled: true }], {
      sim_width: 320,
      sim_height: 240,
      sim_fps: 15,
      analysis_fps: 5,
      analysis_width: 64,
      analysis_height: 48,
      chunk_duration_s: 2,
      record_retry_ms: 500,
    });
    h.addCase('case-a');
    await h.capture.start();
    h.capture.onFrame((f) => {
      frames.push(f);
    });
    await waitFor(() => h.status('scope')?.state === 'live', 30_000, 'the sim source live');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('pausing closes the open chunk and records nothing until resumed, while analysis frames go on', async () => {
    const pid = h.capture.sourcePid('scope');
    h.capture.startRecording('case-a');
    await waitFor(() => h.status('scope')?.recording, 15_000, 'recording on');
    await waitFor(() => h.chunks.length >= 1, 15_000, 'a first chunk');

    await h.capture.pauseRecording('privacy');
    const pausedAt = Date.now();
    const closedAtPause = h.chunks.length;
    expect(h.status('scope')!.recording).toBe(false);
    expect(h.capture.recordingState).toMatchObject({ caseId: 'case-a', paused: true, reason: 'privacy' });
    const framesAtPause = frames.length;
    await waitFor(() => frames.length >= framesAtPause + 5, 10_000, 'analysis frames during the pause');
    expect(h.chunks.length).toBe(closedAtPause);

    const resumedAt = Date.now();
    h.capture.resumeRecording();
    await waitFor(() => h.status('scope')?.recording, 15_000, 'recording on again');
    await waitFor(() => h.chunks.length > closedAtPause, 15_000, 'a chunk after resuming');
    await h.capture.stopRecording();
    expect(h.status('scope')!.recording).toBe(false);

    // Same source process throughout; its frame counter never restarted.
    expect(h.capture.sourcePid('scope')).toBe(pid);
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.seq).toBeGreaterThan(frames[i - 1]!.seq);

    // No chunk covers the paused stretch; every chunk plays; rows match the events.
    for (const c of h.chunks) {
      const end = c.startedAtMs + c.durationMs;
      expect(end <= pausedAt + 300 || c.startedAtMs >= resumedAt - 300).toBe(true);
      expect(discoverDurationMs(join(h.config.storage.data_dir, 'recordings', c.path))).toBeGreaterThan(0);
    }
    const sessions = new Set(h.chunks.map((c) => c.path.split('/').at(-1)!.split('-')[0]));
    expect(sessions.size).toBe(2);
    const n = (
      h.store.db.prepare('SELECT count(*) AS n FROM recordings WHERE case_id = ?').get('case-a') as {
        n: number;
      }
    ).n;
    expect(n).toBe(h.chunks.length);
  });

  it('SIGKILL while recording: the cut chunk keeps its playable part, the gap is recorded, recording goes on', async () => {
    h.addCase('case-k');
    h.capture.startRecording('case-k');
    await waitFor(() => h.status('scope')?.recording, 15_000, 'recording case-k');
    const pid = h.capture.sourcePid('scope')!;
    const before = h.chunks.length;
    await waitFor(() => h.chunks.length > before, 15_000, 'a closed chunk of case-k');
    // Kill in the middle of the next chunk (robust muxing rewrites its index every second).
    await new Promise((r) => setTimeout(r, 1500));
    const killedAt = Date.now();
    const closedBefore = new Set(h.chunks.map((c) => c.path));
    const session = h.chunks.at(-1)!.path.split('/').at(-1)!.split('-')[0]!;
    process.kill(pid, 'SIGKILL');
    const cut = await waitFor(
      () =>
        h.chunks.find(
          (c) => !closedBefore.has(c.path) && c.path.includes(`/${session}-`) && c.startedAtMs < killedAt,
        ),
      15_000,
      'the chunk cut by the kill, stored from its playable part',
    );
    expect(cut.durationMs).toBeGreaterThan(0);
    expect(discoverDurationMs(join(h.config.storage.data_dir, 'recordings', cut.path))).toBeGreaterThan(0);
    await waitFor(
      () => h.status('scope')?.recording && h.capture.sourcePid('scope') !== pid,
      20_000,
      'recording again in a new process',
    );
    const gap = await waitFor(() => h.gaps.find((g) => g.caseId === 'case-k'), 15_000, 'the gap of case-k');
    expect(gap.source).toBe('scope');
    expect(gap.toMs).toBeGreaterThan(gap.fromMs);
    expect(gap.fromMs).toBeLessThanOrEqual(killedAt + 100);
    // The gap starts where the rescued part of the cut chunk ends.
    expect(gap.fromMs).toBeCloseTo(cut.startedAtMs + cut.durationMs, 0);
    const row = h.store.db.prepare('SELECT duration_ms FROM recordings WHERE path = ?').get(cut.path) as {
      duration_ms: number;
    };
    expect(row.duration_ms).toBe(Math.round(cut.durationMs));
    await h.capture.stopRecording();
  });

  it('a recording that cannot start (its folder is blocked) is retried until it can', async () => {
    h.addCase('case-r');
    const blocked = join(h.config.storage.data_dir, 'recordings', 'case-r', 'scope');
    mkdirSync(dirname(blocked), { recursive: true });
    writeFileSync(blocked, 'not a directory');
    const before = h.chunks.length;
    h.capture.startRecording('case-r');
    const failed = await waitFor(
      () => (h.status('scope')?.lastErrorCode === 'RECORDING_FAILED' ? h.status('scope') : undefined),
      15_000,
      'the recording failure in the source status',
    );
    expect(failed.lastError).toContain('cannot start recording');
    expect(failed.state).toBe('live'); // analysis is untouched
    rmSync(blocked);
    await waitFor(
      () => h.chunks.slice(before).some((c) => c.caseId === 'case-r'),
      20_000,
      'chunks of case-r after the retry',
    );
    await h.capture.stopRecording();
  });

  it('refuses a case id that cannot name a folder', () => {
    expect(() => h.capture.startRecording('../etc')).toThrow(/cannot name a folder/);
  });
});
