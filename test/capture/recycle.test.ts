/**
 * gstreamer-superficial never frees a pipeline, so each recording session leaves memory behind
 * in the source process. A process past `source_recycle_rss_mb` is replaced, but only between
 * cases. Here the limit (64 MB) is below what any source process holds, so the source is
 * replaced as soon as it is live between cases, and never during one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { captureHarness, type Harness, SMALL_SIM } from './harness.js';

describe('a source process that has grown past its memory limit', () => {
  let h: Harness;
  let frames = 0;

  beforeAll(async () => {
    h = captureHarness(tempDir(), [{ name: 'cam', kind: 'sim', role: 'endoscope', enabled: true }], {
      ...SMALL_SIM,
      chunk_duration_s: 2,
      source_recycle_rss_mb: 64,
    });
    h.addCase('case-rec');
    h.capture.onFrame(() => {
      frames++;
    });
    await h.capture.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is replaced between cases, and analysis goes on', async () => {
    await waitFor(() => h.status('cam')?.state === 'live', 30_000, 'the source live');
    const first = h.capture.sourcePid('cam');
    await waitFor(
      () => {
        const pid = h.capture.sourcePid('cam');
        return pid !== undefined && pid !== first && h.status('cam')?.state === 'live';
      },
      30_000,
      'a fresh source process, live',
    );
    const before = frames;
    await waitFor(() => frames > before + 3, 15_000, 'frames from the fresh process');
    // A planned replacement is not a failure.
    expect(h.status('cam')?.lastErrorCode).toBeUndefined();
  });

  it('is left alone during a case, recording or paused, so no recording is cut', async () => {
    h.capture.startRecording('case-rec');
    await waitFor(() => h.status('cam')?.recording === true, 30_000, 'recording');
    const pid = h.capture.sourcePid('cam');
    await new Promise((r) => setTimeout(r, 3000));
    expect(h.capture.sourcePid('cam')).toBe(pid);
    expect(h.status('cam')?.recording).toBe(true);
    // Paused (out of body, privacy): analysis decides when it resumes, so it keeps its process.
    await h.capture.pauseRecording('out_of_body');
    await new Promise((r) => setTimeout(r, 3000));
    expect(h.capture.sourcePid('cam')).toBe(pid);
    await h.capture.stopRecording();
    // Idle again: replaced once more.
    await waitFor(
      () => {
        const now = h.capture.sourcePid('cam');
        return now !== undefined && now !== pid;
      },
      30_000,
      'the source process replaced after the recording stopped',
    );
  });
});
