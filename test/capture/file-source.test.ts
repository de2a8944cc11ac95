import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisFrame } from '../../capture/index.js';
import { waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { discoverDurationMs, h264File } from './fixtures.js';
import { captureHarness, type Harness } from './harness.js';

const INPUT_S = 4;

describe('file source on a generated 1080p H.264 MP4', () => {
  let h: Harness;
  const fast: AnalysisFrame[] = [];
  let slowCalls = 0;
  let maxPending = 0;
  let heapPeak = 0;
  let input: string;

  beforeAll(async () => {
    input = await h264File({ width: 1920, height: 1080, fps: 30, seconds: INPUT_S });
    const dir = tempDir();
    h = captureHarness(
      dir,
      [
        {
          name: 'scope',
          kind: 'file',
          role: 'endoscope',
          enabled: true,
          path: input,
          realtime: true,
          loop: false,
        },
      ],
      { analysis_fps: 5, analysis_width: 160, analysis_height: 120, chunk_duration_s: 2 },
    );
    h.addCase('case-file');
    await h.capture.start();
    h.capture.startRecording('case-file');
    h.capture.onFrame((f) => {
      fast.push(f);
    });
    // 10x too slow for 5 fps: 2 s per frame.
    h.capture.onFrame(async () => {
      slowCalls++;
      await new Promise((r) => setTimeout(r, 2000));
    });
    const sampler = setInterval(() => {
      maxPending = Math.max(maxPending, h.capture.pendingFrames);
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }, 20);
    await waitFor(() => h.status('scope')?.state === 'stopped', 40_000, 'the file to play to its end');
    clearInterval(sampler);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('delivers frames at the configured size and fps with monotonic timestamps', () => {
    expect(fast.length).toBeGreaterThanOrEqual(INPUT_S * 5 - 3);
    expect(fast.length).toBeLessThanOrEqual(INPUT_S * 5 + 1);
    for (const f of fast) {
      expect(f.source).toBe('scope');
      expect([f.width, f.height, f.data.byteLength]).toEqual([160, 120, 160 * 120 * 3]);
      expect(Number.isInteger(f.tsMs)).toBe(true); // whole ms: the database stores integers
    }
    for (let i = 1; i < fast.length; i++) {
      expect(fast[i]!.tsMs).toBeGreaterThan(fast[i - 1]!.tsMs);
      expect(fast[i]!.seq).toBeGreaterThan(fast[i - 1]!.seq);
    }
    const spanS = (fast.at(-1)!.tsMs - fast[0]!.tsMs) / 1000;
    const fps = (fast.length - 1) / spanS;
    expect(fps).toBeGreaterThan(4);
    expect(fps).toBeLessThan(6);
    // Frames carry real picture content: not all the same byte.
    expect(new Set(fast[3]!.data).size).toBeGreaterThan(1);
  });

  it('writes playable chunks whose total duration is within 1 s of the input, with rows in the database', () => {
    console.log(JSON.stringify(h.chunks), JSON.stringify(h.statuses.at(-1)));
    expect(h.chunks.length).toBeGreaterThanOrEqual(2);
    let total = 0;
    for (const c of h.chunks) {
      expect(c.path.startsWith(join('case-file', 'scope'))).toBe(true);
      total += discoverDurationMs(join(h.config.storage.data_dir, 'recordings', c.path));
    }
    expect(Math.abs(total - INPUT_S * 1000)).toBeLessThan(1000);
    const rows = h.store.db
      .prepare('SELECT * FROM recordings WHERE case_id = ? ORDER BY started_at')
      .all('case-file') as Array<{
      path: string;
      duration_ms: number;
      size_bytes: number;
      sha256: string;
    }>;
    // Chunks are hashed concurrently, so their events may arrive out of start order.
    expect(rows.map((r) => r.path).sort()).toEqual(h.chunks.map((c) => c.path).sort());
    for (const r of rows) {
      expect(r.size_bytes).toBeGreaterThan(0);
      expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    const rowTotal = rows.reduce((s, r) => s + r.duration_ms, 0);
    expect(Math.abs(rowTotal - INPUT_S * 1000)).toBeLessThan(1000);
  });

  it('a consumer 10x too slow gets few frames, the rest are dropped and counted, memory stays bounded', () => {
    expect(slowCalls).toBeGreaterThanOrEqual(1);
    expect(slowCalls).toBeLessThanOrEqual(4);
    const st = h.status('scope')!;
    expect(st.framesDropped).toBeGreaterThanOrEqual(fast.length - slowCalls - 2);
    expect(maxPending).toBeLessThanOrEqual(1);
    expect(heapPeak).toBeLessThan(200 * 1024 * 1024);
  });
});

describe('file source played as fast as possible', () => {
  let h: Harness;
  const frames: AnalysisFrame[] = [];
  let elapsedMs = 0;

  beforeAll(async () => {
    const input = await h264File({ width: 1920, height: 1080, fps: 30, seconds: INPUT_S });
    h = captureHarness(
      tempDir(),
      [{ name: 'replay', kind: 'file', role: 'endoscope', enabled: true, path: input, realtime: false }],
      { analysis_fps: 5, analysis_width: 96, analysis_height: 96, record: false },
    );
    let firstFrameAtMs = 0;
    h.capture.onFrame((f) => {
      firstFrameAtMs ||= Date.now();
      frames.push(f);
    });
    await h.capture.start();
    // From the first frame (the source may be live for less than one status poll) to the end.
    await waitFor(() => h.status('replay')?.state === 'stopped', 30_000, 'the replay to end');
    elapsedMs = Date.now() - firstFrameAtMs;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('delivers every analysis frame of the file, stamped with media time, faster than real time', () => {
    expect(frames.length).toBe(INPUT_S * 5);
    for (let i = 1; i < frames.length; i++) {
      expect(frames[i]!.tsMs - frames[i - 1]!.tsMs).toBeCloseTo(200, 3);
    }
    expect(h.status('replay')!.framesDropped).toBe(0);
    expect(elapsedMs).toBeLessThan(INPUT_S * 1000);
  });
});
