import type { AnalysisFrame } from '../capture/index.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../daemon/log.js';
import {
  type FilterModel,
  type FilterState,
  PhaseFilter,
  type PhaseFilterOptions,
} from './filter/phase-filter.js';
import type { BackendName } from './runtime/backend.js';
import { type ClassifiedFrame, InferenceRuntime, type RuntimeOptions } from './runtime/inference-runtime.js';
import type { WorkerModelInfo } from './runtime/protocol.js';
import { buildTimeline, type Timeline } from './timeline.js';
import type { FrameResult, ModelInfo, PhaseEvent } from './types.js';

export interface PipelineSinks {
  frame(r: FrameResult): void;
  phase(e: PhaseEvent): void;
  model(m: ModelInfo): void;
}

export type InferenceConfig = Config['inference'];

export function runtimeOptions(c: InferenceConfig, modelDir: string): RuntimeOptions {
  return {
    modelDir,
    backend: c.backend,
    maxBatch: c.max_batch,
    queuePerSource: c.queue_per_source,
    warmupRuns: c.warmup_runs,
    startTimeoutMs: c.worker_start_timeout_ms,
    batchTimeoutMs: c.worker_batch_timeout_ms,
    restartBackoffMs: c.worker_restart_backoff_ms,
    restartBackoffMaxMs: c.worker_restart_backoff_max_ms,
    latencyWindow: c.latency_window,
  };
}

export function filterOptions(c: InferenceConfig): PhaseFilterOptions {
  return {
    substates: c.duration_substates,
    durationScale: c.duration_prior_scale,
    probabilityFloor: c.probability_floor,
    emissionExponent: c.emission_exponent,
    resumeAnywhereProbability: c.resume_anywhere_probability,
    switchProbability: c.switch_probability,
    minPhaseDurationS: c.min_phase_duration_s,
    outOfBodyThreshold: c.out_of_body_threshold,
    outOfBodyEnterS: c.out_of_body_enter_s,
    outOfBodyExitS: c.out_of_body_exit_s,
    boundaryLookbackS: c.boundary_lookback_s,
    boundaryLagS: c.boundary_lag_s ?? null,
    retractWindowS: c.retract_window_s,
    shortestPhaseS: c.shortest_phase_s,
  };
}

export function toModelInfo(m: WorkerModelInfo, backend: string): ModelInfo {
  return {
    name: m.name,
    procedure: m.procedure,
    version: m.version,
    classes: m.classes,
    transitions: m.transitions,
    phases: m.phases,
    outOfBodyClass: m.outOfBodyClass,
    backend,
  };
}

/**
 * Frames in, phase events out: the runtime (worker) classifies, a PhaseFilter per source
 * turns probabilities into a phase timeline. The live part and `orsight replay` both run
 * exactly this.
 */
export class PhasePipeline {
  readonly runtime: InferenceRuntime;
  private readonly filters = new Map<string, SourceFilter>();
  private model: WorkerModelInfo | undefined;

  constructor(
    private readonly config: InferenceConfig,
    modelDir: string,
    log: Logger,
    private readonly sinks: PipelineSinks,
  ) {
    this.runtime = new InferenceRuntime(
      runtimeOptions(config, modelDir),
      log,
      (r) => this.onClassified(r),
      (m, backend) => this.onModel(m, backend),
    );
  }

  submit(frame: AnalysisFrame): void {
    this.runtime.submit(frame);
  }

  /** The filtered state of a source (undefined before its first frame). */
  filterState(source: string) {
    return this.filters.get(source)?.state();
  }

  private onModel(m: WorkerModelInfo, backend: BackendName): void {
    const same =
      this.model !== undefined &&
      this.model.version === m.version &&
      this.model.name === m.name &&
      JSON.stringify(this.model.classes) === JSON.stringify(m.classes);
    // A restarted worker with the same model keeps the filters: the case goes on.
    if (!same) this.filters.clear();
    this.model = m;
    this.sinks.model(toModelInfo(m, backend));
  }

  private onClassified(r: ClassifiedFrame): void {
    const m = this.model!;
    let filter = this.filters.get(r.frame.source);
    if (!filter) {
      filter = new SourceFilter(r.frame.source, m, this.config);
      this.filters.set(r.frame.source, filter);
    }
    const { frame, events } = filter.push(r.frame.seq, r.frame.tsMs, r.probabilities, r.latencyMs);
    for (const e of events) this.sinks.phase(e);
    this.sinks.frame(frame);
  }
}

/**
 * One source's temporal filter and the frame results it yields. The filter sees the
 * probabilities exactly as the frame result carries them (four decimals), so frame results
 * recorded from any run can be filtered again offline to the same timeline (`filterRecorded`).
 */
export class SourceFilter {
  private readonly filter: PhaseFilter;

  constructor(
    private readonly source: string,
    private readonly model: FilterModel,
    config: InferenceConfig,
  ) {
    this.filter = new PhaseFilter(source, model, filterOptions(config));
  }

  push(
    seq: number,
    tsMs: number,
    scores: ArrayLike<number>,
    latencyMs: number,
  ): { frame: FrameResult; events: PhaseEvent[] } {
    const probabilities = Array.from(scores, round4);
    const events = this.filter.update(tsMs, probabilities);
    const s = this.filter.state();
    let best = 0;
    for (let i = 1; i < probabilities.length; i++) if (probabilities[i]! > probabilities[best]!) best = i;
    const frame: FrameResult = {
      source: this.source,
      seq,
      tsMs,
      probabilities,
      rawClass: this.model.classes[best]!,
      filteredPhase: s.phase,
      outOfBody: s.outOfBody,
      confidence: round4(s.confidence),
      latencyMs: Math.round(latencyMs * 100) / 100,
    };
    return { frame, events };
  }

  state(): FilterState {
    return this.filter.state();
  }
}

/** A frame result as recorded for filtering again: capture time, sequence number, class probabilities. */
export type RecordedScore = readonly [tsMs: number, seq: number, probabilities: readonly number[]];

/**
 * Runs recorded per-frame class probabilities through the same filter stage as the live
 * pipeline: the frames, events and timeline a replay of the video would give with this
 * inference config, without decoding or classifying again.
 */
export function filterRecorded(
  model: FilterModel,
  config: InferenceConfig,
  scores: readonly RecordedScore[],
  source = 'replay',
): { frames: FrameResult[]; events: PhaseEvent[]; timeline: Timeline } {
  const filter = new SourceFilter(source, model, config);
  const frames: FrameResult[] = [];
  const events: PhaseEvent[] = [];
  for (const [tsMs, seq, probabilities] of scores) {
    const r = filter.push(seq, tsMs, probabilities, 0);
    frames.push(r.frame);
    events.push(...r.events);
  }
  return { frames, events, timeline: buildTimeline(events) };
}

function round4(v: number): number {
  return Math.round(v * 10000) / 10000;
}
