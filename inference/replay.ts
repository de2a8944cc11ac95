import { chooseDecoder, discoverHardware } from '../capture/index.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../daemon/log.js';
import { PhasePipeline } from './phase-pipeline.js';
import { buildTimeline, type Timeline } from './timeline.js';
import type { FrameResult, ModelInfo, PhaseEvent } from './types.js';
import { decodeAnalysisFrames } from './video/analysis-decoder.js';

export interface ReplayOptions {
  video: string;
  modelDir: string;
  config: Readonly<Config>;
  log: Logger;
  source?: string;
  /** Called for each frame as it is classified (e.g. to print progress). */
  onFrame?: (r: FrameResult) => void;
}

export interface ReplayResult {
  model: ModelInfo;
  frames: FrameResult[];
  events: PhaseEvent[];
  timeline: Timeline;
  videoDurationS: number;
  wallS: number;
  /** Video seconds per wall second. */
  realTimeFactor: number;
  droppedFrames: number;
}

/**
 * Runs a recorded video through the live code (analysis decode → PhasePipeline: worker +
 * temporal filter) as fast as possible. Instead of dropping frames like a live source, it
 * waits for room in the queue, so every frame is classified, in order.
 */
export async function replayVideo(o: ReplayOptions): Promise<ReplayResult> {
  const source = o.source ?? 'replay';
  const frames: FrameResult[] = [];
  const events: PhaseEvent[] = [];
  let model: ModelInfo | undefined;
  const inference = {
    ...o.config.inference,
    queue_per_source: Math.max(o.config.inference.queue_per_source, o.config.inference.max_batch * 2),
  };
  const pipeline = new PhasePipeline(inference, o.modelDir, o.log, {
    frame: (r) => {
      frames.push(r);
      o.onFrame?.(r);
    },
    phase: (e) => events.push(e),
    model: (m) => {
      model = m;
    },
  });
  const { runtime } = pipeline;
  // The decoder the live capture part would pick on this machine.
  const decoder = chooseDecoder(o.config.capture.decoder, await discoverHardware()).element;
  await runtime.start();
  const t0 = performance.now();
  let lastTsMs = 0;
  try {
    const { analysis_width: width, analysis_height: height, analysis_fps: fps } = o.config.capture;
    for await (const frame of decodeAnalysisFrames({
      path: o.video,
      source,
      width,
      height,
      fps,
      decoder,
      startMs: 0,
    })) {
      await runtime.waitForRoom(source);
      pipeline.submit(frame);
      lastTsMs = frame.tsMs;
    }
    await runtime.drain();
  } finally {
    await runtime.stop();
  }
  const wallS = (performance.now() - t0) / 1000;
  const videoDurationS = frames.length ? lastTsMs / 1000 + 1 / o.config.capture.analysis_fps : 0;
  return {
    model: model!,
    frames,
    events,
    timeline: buildTimeline(events),
    videoDurationS,
    wallS,
    realTimeFactor: wallS > 0 ? videoDurationS / wallS : 0,
    droppedFrames: runtime.metrics().framesDropped,
  };
}
