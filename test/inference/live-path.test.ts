/**
 * Online = offline: the live daemon path (capture part playing a file in real time → bus →
 * inference part → temporal filter) and `replay` give the same phase timeline.
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
    const g = await generateSurgicalVideo({
      seed: 9301,
      minutes: 0.75,
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
          sources: [{ name: 'endoscope', kind: 'file', path: video, realtime: true, loop: false }],
        },
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
    for (const p of [store, capture, inference]) {
      await p.start();
      parts.push(p);
    }
    expect(model?.name).toBe('demo-cholec');
    expect(inference.health().ok).toBe(true);
    // Real time: the whole video plays once (45 s); the file source then ends.
    await waitFor(() => frames.length >= offline.frames.length, 90_000, 'all live frames classified', 250);
    await new Promise((r) => setTimeout(r, 500));
    const t0 = frames[0]!.tsMs;
    const live = frames.filter((f) => f.tsMs - t0 < g.labels.durationS * 1000);
    expect(inference.health().detail?.framesDropped).toBe(0);
    expect(live.length).toBe(offline.frames.length);
    // Same raw scores frame by frame: the live pixels are the replay's pixels.
    for (let i = 0; i < live.length; i++) {
      expect(live[i]!.rawClass).toBe(offline.frames[i]!.rawClass);
    }
    const rel = (list: PhaseEvent[], base: number) =>
      list
        .filter((e) => e.atMs - base < g.labels.durationS * 1000)
        .map((e) => ({
          type: e.type,
          phase: 'phase' in e ? e.phase : undefined,
          atS: (e.atMs - base) / 1000,
        }));
    const a = rel(events, t0);
    const b = rel(offline.events, 0);
    expect(a.map((e) => `${e.type}:${e.phase ?? ''}`)).toEqual(b.map((e) => `${e.type}:${e.phase ?? ''}`));
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]!.atS - b[i]!.atS)).toBeLessThan(0.25);
    expect(b.filter((e) => e.type === 'phase_started').length).toBeGreaterThanOrEqual(3);
  }, 180_000);
});
