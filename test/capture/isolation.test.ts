import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisFrame } from '../../capture/index.js';
import { freePort, waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { h264File, mjpegFile } from './fixtures.js';
import { captureHarness, type Harness, SMALL_SIM } from './harness.js';

describe('fault isolation: one process per source', () => {
  let h: Harness;
  const frames = new Map<string, AnalysisFrame[]>();

  beforeAll(async () => {
    const deadPort = await freePort();
    const mjpeg = await mjpegFile();
    const short = await h264File({ width: 160, height: 120, fps: 10, seconds: 1 });
    h = captureHarness(
      tempDir(),
      [
        { name: 'cam-a', kind: 'sim', role: 'endoscope', enabled: true },
        { name: 'cam-b', kind: 'sim', role: 'room', enabled: true },
        {
          name: 'no-device',
          kind: 'v4l2',
          role: 'room',
          enabled: true,
          device: '/dev/video-orsight-missing',
        },
        {
          name: 'no-server',
          kind: 'rtsp',
          role: 'room',
          enabled: true,
          url: `rtsp://127.0.0.1:${deadPort}/cam`,
        },
        { name: 'not-h264', kind: 'file', role: 'room', enabled: true, path: mjpeg, loop: true },
        { name: 'no-url', kind: 'rtsp', role: 'room', enabled: true },
        { name: 'loop', kind: 'file', role: 'room', enabled: true, path: short, loop: true, realtime: true },
      ],
      {
        record: false,
        ...SMALL_SIM,
        // Generous for a loaded 2-core CI box: the other sources must never stall by starvation.
        stall_timeout_ms: 3000,
        lost_timeout_ms: 6000,
        restart_backoff_min_ms: 300,
        restart_backoff_max_ms: 2000,
        child_stop_timeout_ms: 1000,
      },
    );
    await h.capture.start();
    h.capture.onFrame((f) => {
      const list = frames.get(f.source) ?? [];
      list.push(f);
      frames.set(f.source, list);
    });
    await waitFor(
      () => h.status('cam-a')?.state === 'live' && h.status('cam-b')?.state === 'live',
      30_000,
      'both simulated sources live',
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  it('SIGKILL of one source process leaves the other running, and the killed source is restarted', async () => {
    await waitFor(() => (frames.get('cam-a')?.length ?? 0) >= 5, 10_000, 'cam-a frames');
    const aBefore = frames.get('cam-a')!.length;
    const pid = h.capture.sourcePid('cam-a')!;
    expect(pid).toBeGreaterThan(0);
    const bBefore = frames.get('cam-b')!.length;
    const statusesBefore = h.statuses.length;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => h.status('cam-a')?.state !== 'live', 5000, 'cam-a to leave live');
    await waitFor(
      () => h.status('cam-a')?.state === 'live' && h.capture.sourcePid('cam-a') !== pid,
      20_000,
      'cam-a live again in a new process',
    );
    expect(h.status('cam-a')!.restarts).toBeGreaterThanOrEqual(1);
    expect(h.status('cam-a')!.lastError ?? '').toMatch(/SIGKILL|exited/);
    // cam-b never stopped: same process (its frame counter never restarted), always live.
    await waitFor(() => frames.get('cam-b')!.length > bBefore + 5, 10_000, 'cam-b frames after the kill');
    const bSeqs = frames.get('cam-b')!.map((f) => f.seq);
    for (let i = 1; i < bSeqs.length; i++) expect(bSeqs[i]).toBeGreaterThan(bSeqs[i - 1]!);
    expect(
      h.statuses.slice(statusesBefore).filter((s) => s.source === 'cam-b' && s.state !== 'live'),
    ).toEqual([]);
    expect(h.status('cam-b')).toMatchObject({ state: 'live', restarts: 0 });
    // The new process delivers frames, its counter started again from 0.
    await waitFor(
      () => frames.get('cam-a')!.length > aBefore + 2,
      10_000,
      'cam-a frames from the new process',
    );
    expect(
      frames
        .get('cam-a')!
        .slice(aBefore)
        .some((f) => f.seq === 0),
    ).toBe(true);
  });

  it('a hung source process (SIGSTOP) is declared stalled, then lost, and replaced', async () => {
    await waitFor(() => h.status('cam-a')?.state === 'live', 20_000, 'cam-a live');
    const pid = h.capture.sourcePid('cam-a')!;
    const from = h.statuses.length;
    const stoppedAt = Date.now();
    process.kill(pid, 'SIGSTOP');
    try {
      const stalled = await waitFor(
        () => h.statuses.slice(from).find((s) => s.source === 'cam-a' && s.state === 'stalled'),
        15_000,
        'stalled',
      );
      expect(stalled.sinceMs - stoppedAt).toBeGreaterThanOrEqual(3000 - 250);
      const lost = await waitFor(
        () => h.statuses.slice(from).find((s) => s.source === 'cam-a' && s.state === 'lost'),
        15_000,
        'lost',
      );
      expect(lost.sinceMs - stalled.sinceMs).toBeGreaterThan(2000);
      expect(lost.lastErrorCode).toBe('SOURCE_STALLED');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor(
      () => h.status('cam-a')?.state === 'live' && h.capture.sourcePid('cam-a') !== pid,
      20_000,
      'cam-a live in a new process',
    );
    const alive = (() => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    })();
    expect(alive).toBe(false);
  });

  it('counts frames in and out per source', () => {
    const b = h.status('cam-b')!;
    expect(b.fpsIn).toBeGreaterThan(7); // the 10 fps test pattern
    expect(b.fpsIn).toBeLessThan(13);
    expect(b.fpsOut).toBeGreaterThan(3.5); // analysis at 5 fps
    expect(b.fpsOut).toBeLessThan(6.5);
  });

  it('a looping file plays on past its end in the same process, at the analysis rate', async () => {
    await waitFor(
      () => (frames.get('loop')?.length ?? 0) >= 14,
      20_000,
      'frames over nearly three loops of a 1 s file',
    );
    const f = frames.get('loop')!;
    expect(h.status('loop')).toMatchObject({ state: 'live', restarts: 0 });
    const spanS = (f.at(-1)!.tsMs - f[0]!.tsMs) / 1000;
    expect(spanS).toBeGreaterThan(2); // the 1 s file played at least twice over
    expect((f.length - 1) / spanS).toBeGreaterThan(4);
    expect((f.length - 1) / spanS).toBeLessThan(6);
  });

  it('bad source configs give a clear error in that source status while the others keep running', async () => {
    const missing = await waitFor(
      () => (h.status('no-device')?.lastError ? h.status('no-device') : undefined),
      15_000,
      'no-device error',
    );
    expect(missing.lastErrorCode).toBe('SOURCE_NOT_FOUND');
    expect(missing.lastError).toContain('/dev/video-orsight-missing');
    expect(missing.state).not.toBe('live');

    const unreachable = await waitFor(
      () => (h.status('no-server')?.lastErrorCode ? h.status('no-server') : undefined),
      20_000,
      'no-server error',
    );
    expect(unreachable.lastErrorCode).toBe('SOURCE_UNREACHABLE');
    expect(unreachable.lastError).toContain('rtsp://127.0.0.1:');
    expect(unreachable.state).not.toBe('live');

    const caps = await waitFor(
      () => (h.status('not-h264')?.lastErrorCode ? h.status('not-h264') : undefined),
      20_000,
      'not-h264 error',
    );
    expect(caps.lastErrorCode).toBe('CAPS_UNSUPPORTED');
    expect(caps.lastError).toContain('not H.264');

    expect(h.status('no-url')).toMatchObject({ state: 'failed', lastErrorCode: 'SOURCE_CONFIG_INVALID' });
    expect(h.status('no-url')!.lastError).toContain('needs url');

    for (const s of ['no-device', 'no-server', 'not-h264', 'no-url']) expect(frames.get(s)).toBeUndefined();
    const bNow = frames.get('cam-b')!.length;
    await waitFor(() => frames.get('cam-b')!.length > bNow + 3, 10_000, 'cam-b still delivering');
    expect(h.capture.health()).toMatchObject({ ok: true, state: 'degraded' });
  });
});
