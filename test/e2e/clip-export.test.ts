import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClipWriter } from '../../ui/api/clip-writer.js';
import { tempDir } from '../helpers/tmp.js';
import { mp4DurationMs } from './mp4.js';
import { videoChunk } from './seed.js';

describe('clip export (GStreamer, stream copy)', () => {
  it('joins a phase’s chunks into one playable MP4 without re-encoding', async () => {
    const dir = tempDir('orsight-clip-');
    const chunks = [videoChunk(20, 'ball'), videoChunk(20, 'smpte')];
    const out = join(dir, 'case', 'clip.mp4');
    const size = await new ClipWriter({ timeoutMs: 60_000 }).write(chunks, out);
    expect(size).toBe(statSync(out).size);
    expect(Math.abs(mp4DurationMs(readFileSync(out)) - 40_000)).toBeLessThanOrEqual(500);
    // Stream copy: the same compressed frames, so about the inputs' size (a re-encode at
    // x264's defaults would differ widely); only the container bytes change.
    const inputs = chunks.reduce((sum, c) => sum + statSync(c).size, 0);
    expect(Math.abs(size - inputs) / inputs).toBeLessThan(0.05);
  });

  it('stops GStreamer at its time limit, and when the daemon shuts down', async () => {
    const dir = tempDir('orsight-clip-');
    // A FIFO nobody writes to: GStreamer waits on it for ever.
    const fifo = join(dir, 'stuck.mp4');
    execFileSync('mkfifo', [fifo]);
    await expect(new ClipWriter({ timeoutMs: 500 }).write([fifo], join(dir, 'a.mp4'))).rejects.toMatchObject({
      code: 'CLIP_TIMEOUT',
    });
    const writer = new ClipWriter({ timeoutMs: 60_000 });
    const job = writer.write([fifo], join(dir, 'b.mp4'));
    await new Promise((r) => setTimeout(r, 300));
    writer.stop();
    await expect(job).rejects.toMatchObject({ code: 'CLIP_FAILED' });
    expect(existsSync(join(dir, 'b.mp4'))).toBe(false);
    // Nothing of it keeps running.
    const left = spawnSync('pgrep', ['-f', fifo], { encoding: 'utf8' });
    expect(left.stdout.trim()).toBe('');
  });

  it('reports a chunk GStreamer cannot read as a clear error, leaving no partial file', async () => {
    const dir = tempDir('orsight-clip-');
    const out = join(dir, 'bad.mp4');
    await expect(
      new ClipWriter({ timeoutMs: 60_000 }).write([join(dir, 'missing.mp4')], out),
    ).rejects.toMatchObject({
      code: 'CLIP_FAILED',
    });
    expect(() => statSync(out)).toThrow();
  });
});
