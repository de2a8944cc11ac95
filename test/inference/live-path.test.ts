/**
 * Online = offline: the live daemon path (capture part's source process → frame hub →
 * inference part → worker → temporal filter → bus) and `replay` give the same timeline.
 * The file plays unpaced (realtime: false) so the test takes seconds, and the inference
 * queue is made deep enough that nothing is dropped; with real-time pacing, capture's leaky
 * analysis queue may hand over a neighbouring source frame under load, which moves a
 * boundary by a frame or two but does not change the algorithm's result for equal input.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CapturePart } from '../../capture/index.js';
import { loadConfig } from '../../config/index.js';
import { EventBus } from '../../daemon/bus.js';
import { StorePart } from '../../daemon/store/index.js';
import { InferencePart } from '../../inference/inference-part.js';
import { replayVideo } from '../../inference/replay.js';
import { generateSurgicalVideo } from '../../inference/sim/generate.js';
import type { FrameResult, ModelInfo, PhaseEvent } from '../../inference/types.js';
import { waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('orsight-live-');
const log = pino({ level: 'warn' });

describe('live path vs replay', () => {
  const parts: Array<{ stop(): Promise<void> }> = [];
  afterAll(async () => {
    for (const p of parts.reverse()) await p.stop();
  });

  it('gives the same timeline for the same video', async () => {
    const video = join(dir, 'case.mp4');
    await generateSurgicalVideo({
      seed: 9301,
      minutes: 2,
      out: video,
      width: 320,
      height: 240,
      fps: 25,
    });
    const config = loadConfig({
      env: {},
      overrides: {
        storage: { data_dir: join(dir, 'data') },
        capture: {
          record: false,
          sources: [{ name: 'endoscope', kind: 'file', path: video, realtime: false, loop: false }],
        },
        inference: { queue_per_source: 1000 },
      },
    });
    const offline = await replayVideo({
      video,
      modelDir: join(import.meta.dirname, '../../inference/models/demo-cholec'),
      config,
      log,
    });

    const bus = new EventBus(log);
    const store = new StorePart(config, log);
    const capture = new CapturePart({ config, log, bus, store: () => store.store });
    const inference = new InferencePart({ config, log, bus, frames: capture });
    const events: PhaseEvent[] = [];
    const frames: FrameResult[] = [];
    let model: ModelInfo | undefined;
    bus.on('inference.phase', 'test', (e) => events.push(e));
    bus.on('inference.frame', 'test', (f) => frames.push(f));
    bus.on('inference.model', 'test', (m) => {
      model = m;
    });
    // Inference subscribes before capture starts so that it sees the video from frame 0.
    for (const p of [store, inference, capture]) {
      await p.start();
      parts.push(p);
    }
    expect(model?.name).toBe('demo-cholec');
    expect(inference.health().ok).toBe(true);
    // Unpaced: the whole video plays once, as fast as capture decodes it.
    // Capture started before inference subscribed, so the first frames went by unseen. A
    // frame's position in the video is its capture time minus the capture time of frame 0.
    const frameMs = 1000 / config.capture.analysis_fps;
    const base = () => frames[0]!.tsMs - frames[0]!.seq * frameMs;
    const lastOfflineMs = offline.frames.at(-1)!.tsMs;
    await waitFor(
      () => frames.length > 0 && frames.some((f) => f.tsMs - base() >= lastOfflineMs - 2 * frameMs),
      90_000,
      'the live path to reach the end of the video',
      250,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = base();
    const live = frames.filter((f) => f.tsMs - t0 <= lastOfflineMs - frameMs * 4);
    // All but the unseen first frames (and, on a loaded machine, a dropped one) arrive.
    expect(frames[0]!.seq).toBe(0);
    expect(live.length).toBe(offline.frames.length - 4);
    // Same scores frame by frame: the live pixels are the replay's pixels. (A frame dropped
    // in capture before the first one seen shifts the seq-based base by a frame; take the
    // base that lines the scores up.)
    const byTime = new Map(offline.frames.map((f) => [Math.round(f.tsMs / frameMs), f]));
    // Batches are composed differently on the two paths; wasm kernels may round the last
    // bit differently per batch layout, so scores agree to 1e-3, not bit for bit.
    const same = (x: number[], y: number[]) => x.every((v, i) => Math.abs(v - y[i]!) <= 1e-3);
    const matchesAt = (shift: number) =>
      live.filter((f) => {
        const o = byTime.get(Math.round((f.tsMs - t0) / frameMs) + shift);
        return o !== undefined && same(f.probabilities, o.probabilities);
      }).length;
    const shifts = [-3, -2, -1, 0, 1, 2, 3].map((k) => ({ k, n: matchesAt(k) })).sort((x, y) => y.n - x.n);
    expect(shifts[0]!.n, JSON.stringify(shifts)).toBe(live.length);
    const t0Aligned = t0 - shifts[0]!.k * frameMs;
    // Same timeline. The first phase starts where each path's first frame is; every later
    // event is at the same video time (within one frame).
    const rel = (list: PhaseEvent[], at0: number) =>
      list
        .filter((e) => e.atMs - at0 <= lastOfflineMs)
        .map((e) => ({ key: `${e.type}:${'phase' in e ? e.phase : ''}`, atS: (e.atMs - at0) / 1000 }));
    const a = rel(events, t0Aligned);
    const b = rel(offline.events, 0);
    expect(a.map((e) => e.key)).toEqual(b.map((e) => e.key));
    for (let i = 1; i < a.length; i++) {
      expect(Math.abs(a[i]!.atS - b[i]!.atS), JSON.stringify({ live: a, replay: b })).toBeLessThan(0.01);
    }
    expect(b.filter((e) => e.key.startsWith('phase_started')).length).toBeGreaterThanOrEqual(3);
  }, 180_000);
});
