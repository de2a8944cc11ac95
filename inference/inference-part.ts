import { resolve } from 'node:path';
import type { AnalysisFrame } from '../capture/index.js';
import type { Config } from '../config/index.js';
import type { EventBus } from '../daemon/bus.js';
import type { Logger } from '../daemon/log.js';
import type { Part, PartHealth } from '../daemon/part.js';
import './bus-events.js';
import { DEMO_MODEL_DIR } from './models.js';
import { PhasePipeline } from './phase-pipeline.js';

/**
 * The sources whose frames are analysed: enabled endoscope sources (room cameras are only
 * recorded); in demo mode without sources, the simulated endoscope.
 */
export function analysedSources(config: Readonly<Config>): string[] {
  const list = config.capture.sources.filter((s) => s.enabled && s.role === 'endoscope').map((s) => s.name);
  if (config.capture.sources.length === 0 && config.daemon.demo) return ['endoscope'];
  return list;
}

/** Anything that delivers analysis frames (the capture part); returns an unsubscribe function. */
export interface FrameFeed {
  onFrame(cb: (frame: AnalysisFrame) => void, options?: { source?: string }): () => void;
}

export interface InferencePartDeps {
  config: Readonly<Config>;
  log: Logger;
  bus: EventBus;
  /** Optional: without a feed the part runs (model loaded, ready) but sees no frames. */
  frames?: FrameFeed;
  /** A model rolled out by headquarters; used when inference.model_dir is not set. */
  rolledOutModelDir?: string;
}

/**
 * The daemon's step-detection part: analysis frames from capture → worker → temporal filter →
 * `inference.frame` / `inference.phase` / `inference.model` events on the bus.
 */
export class InferencePart implements Part {
  readonly name = 'inference';
  private pipeline: PhasePipeline | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: InferencePartDeps) {}

  async start(): Promise<void> {
    const { config, log, bus, frames } = this.deps;
    const modelDir = resolve(config.inference.model_dir ?? this.deps.rolledOutModelDir ?? DEMO_MODEL_DIR);
    this.pipeline = new PhasePipeline(config.inference, modelDir, log, {
      frame: (r) => bus.emit('inference.frame', r),
      phase: (e) => bus.emit('inference.phase', e),
      model: (m) => bus.emit('inference.model', m),
    });
    const model = await this.pipeline.runtime.start();
    if (model.fps !== config.capture.analysis_fps) {
      log.warn(
        { modelFps: model.fps, analysisFps: config.capture.analysis_fps },
        'the model expects another analysis frame rate: set capture.analysis_fps to the manifest fps',
      );
    }
    const pipeline = this.pipeline;
    if (frames) {
      const sources = analysedSources(config);
      const offs = sources.map((source) => frames.onFrame((f) => pipeline.submit(f), { source }));
      this.unsubscribe = () => {
        for (const off of offs) off();
      };
      log.info({ sources }, 'analysing sources');
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.pipeline?.runtime.stop();
  }

  /** Hands a frame to inference directly (for feeds that push rather than subscribe). */
  submit(frame: AnalysisFrame): void {
    this.pipeline?.submit(frame);
  }

  /** Swaps the model package; a refused package leaves the current model running. */
  loadModel(dir: string) {
    if (!this.pipeline) throw new Error('inference part not started');
    return this.pipeline.runtime.loadModel(resolve(dir));
  }

  get runtime() {
    return this.pipeline?.runtime;
  }

  health(): PartHealth {
    const m = this.pipeline?.runtime.metrics();
    if (!m) return { ok: false, state: 'not started' };
    return { ok: m.state === 'ready', state: m.state, detail: { ...m } };
  }
}
