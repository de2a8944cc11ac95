/**
 * A live source whose daemon stops reading: the source process must keep decoding, hold at most
 * frame_pipe_max_frames in its leaky queue, and report what it dropped (counted from its
 * pipeline's own elements), and the frames that arrive once the daemon reads again are fresh.
 * A real source process (capture/worker/source-worker.ts) on a real frame stream.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFrameStream } from '../../capture/frame-wire.js';
import type { PipelinePlan } from '../../capture/pipeline/plan.js';
import type { ChildMessage, ParentMessage } from '../../capture/protocol.js';
import { ROOT, TSX, waitFor } from '../helpers/process.js';

type Stats = Extract<ChildMessage, { type: 'stats' }>;

describe('a live source whose daemon stops reading', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('keeps decoding, drops in its leaky queue and counts the drops', async () => {
    const plan: PipelinePlan = {
      source: 'cam',
      input: { kind: 'testsrc', width: 160, height: 120, fps: 30 },
      decoder: 'avdec_h264',
      analysis: { width: 64, height: 48, fps: 30 },
      recording: null,
      framePipeMaxFrames: 2,
      statusIntervalMs: 200,
    };
    let received = 0;
    const stream = await openFrameStream(64, 48, () => {
      received++;
    });
    child = fork(join(ROOT, 'capture', 'worker', 'source-worker.ts'), [], {
      execArgv: ['--import', TSX],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', stream.childEnd],
    });
    stream.childEnd.destroy();
    let stats: Stats | undefined;
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'stats') stats = m;
    });
    child.send({ type: 'init', plan, record: null } satisfies ParentMessage);

    await waitFor(() => received >= 10, 30_000, 'frames flowing');
    // The daemon stops reading for 3 s (the socket fills, then the leaky queue drops).
    stream.reader.pause();
    const stalledAt = received;
    await new Promise((r) => setTimeout(r, 3000));
    const during = await waitFor(() => stats, 5000, 'stats');
    const inDuring = during.framesIn;
    // Decoding went on at the camera's pace (30 fps; half of it is plenty on a loaded box).
    expect(inDuring).toBeGreaterThan(stalledAt + 45);
    // Only what the socket and the two queue slots hold got through; the rest was dropped.
    expect(during.framesDropped).toBeGreaterThan(30);
    expect(during.framesOut - stalledAt).toBeLessThan(15);

    stream.reader.resume();
    const resumedAt = received;
    await waitFor(() => received >= resumedAt + 20, 15_000, 'frames again after reading resumes');
    // Nothing the source counts is lost track of: in = out + dropped + at most the few in flight.
    const after = await waitFor(() => (stats && stats.atMs > during.atMs ? stats : undefined), 5000, 'stats');
    expect(after.framesIn - after.framesOut - after.framesDropped).toBeLessThanOrEqual(5);
    expect(after.framesIn - after.framesOut - after.framesDropped).toBeGreaterThanOrEqual(0);
    child.kill('SIGTERM');
    stream.reader.destroy();
  });
});
