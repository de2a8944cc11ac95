/**
 * The offline analysis decoder (replay, training, bench) on files it cannot play: it must end
 * with an error that names the file and the problem, never wait for a frame that will not come.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecodeError, decodeAnalysisFrames } from '../../inference/video/analysis-decoder.js';
import { h264File, mjpegFile } from '../capture/fixtures.js';
import { runCli } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('orsight-decoder-');
const analysis = { source: 'replay', width: 64, height: 64, fps: 5 };

/** Decodes the whole file; returns the frame count and the error it ended with, if any. */
async function decodeAll(path: string, stallTimeoutMs?: number) {
  let frames = 0;
  try {
    for await (const _ of decodeAnalysisFrames({ path, ...analysis, stallTimeoutMs })) frames++;
    return { frames, error: undefined };
  } catch (err) {
    return { frames, error: err as DecodeError };
  }
}

/** The first 20 KB of a valid MP4 (its index is written at the end, so nothing is playable). */
async function truncatedFile(): Promise<string> {
  const whole = await h264File({ width: 320, height: 240, fps: 10, seconds: 4 });
  const out = join(dir, 'truncated.mp4');
  writeFileSync(out, readFileSync(whole).subarray(0, 20_000));
  return out;
}

describe('analysis decoder on files it cannot play', () => {
  it('decodes a valid file to the end without an error', async () => {
    const r = await decodeAll(await h264File({ width: 320, height: 240, fps: 10, seconds: 4 }));
    expect(r.error).toBeUndefined();
    expect(r.frames).toBe(20);
  });

  it('a truncated MP4 ends with DECODE_FAILED naming the file and what GStreamer said', async () => {
    const path = await truncatedFile();
    const r = await decodeAll(path);
    expect(r.frames).toBe(0);
    expect(r.error).toBeInstanceOf(DecodeError);
    expect(r.error?.code).toBe('DECODE_FAILED');
    expect(r.error?.message).toContain(path);
    expect(r.error?.message).toMatch(/no playable streams/i);
  });

  it('a file that is not H.264 ends with DECODE_FAILED', async () => {
    const r = await decodeAll(await mjpegFile());
    expect(r.error?.code).toBe('DECODE_FAILED');
  });

  it('a pull that waits past the stall timeout ends with DECODE_STALLED', async () => {
    // 1 ms is less than the pipeline needs to produce its first frame.
    const r = await decodeAll(await h264File({ width: 320, height: 240, fps: 10, seconds: 4 }), 1);
    expect(r.error?.code).toBe('DECODE_STALLED');
    expect(r.error?.message).toMatch(/stalled: no frame, end of stream or error for 1 ms/);
  });

  it('`orsight replay` on a truncated file exits 1 and says why', async () => {
    const path = await truncatedFile();
    const r = runCli(['replay', path, '--json']);
    expect(r.signal, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^replay: DECODE_FAILED: decoding .*truncated\.mp4 failed: .*no playable streams/im,
    );
  });
});
