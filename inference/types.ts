/**
 * Contract between inference/ and its consumers (daemon case engine, ui, sync).
 * Other parts import these types from inference/index.ts only.
 */

export interface PhaseInfo {
  id: string;
  displayName: string;
  /** CSS colour, e.g. "#3fa7d6". */
  color: string;
  typicalDurationS: number;
}

export interface ModelInfo {
  /** Package name from the manifest, e.g. "demo-cholec". */
  name: string;
  procedure: string;
  version: string;
  /** Model output order (phase ids and the out-of-body class): the order of FrameResult.probabilities. */
  classes: string[];
  /** The phase grammar: allowed next phases per phase. */
  transitions: Record<string, string[]>;
  phases: PhaseInfo[];
  outOfBodyClass?: string;
  backend: string;
}

/** Emitted by the temporal filter, in time order per source. */
export type PhaseEvent =
  | {
      type: 'phase_started';
      source: string;
      phase: string;
      atMs: number;
      confidence: number;
      modelVersion: string;
    }
  | { type: 'phase_ended'; source: string; phase: string; atMs: number; modelVersion: string }
  /**
   * The filter withdraws the phase it reported last (started at atMs): the phase before it
   * (resumedPhase, started at resumedAtMs) never ended. Sent instead of phase_ended +
   * phase_started when the grammar allows no way back (see PhaseFilterOptions.retractWindowS).
   */
  | {
      type: 'phase_retracted';
      source: string;
      phase: string;
      atMs: number;
      resumedPhase: string;
      resumedAtMs: number;
      confidence: number;
      modelVersion: string;
    }
  | { type: 'out_of_body_started'; source: string; atMs: number; modelVersion: string }
  | { type: 'out_of_body_ended'; source: string; atMs: number; modelVersion: string };

/** Per-frame output, after the model and before / after the filter (for metrics and replay). */
export interface FrameResult {
  source: string;
  tsMs: number;
  probabilities: number[];
  rawClass: string;
  filteredPhase: string | undefined;
  outOfBody: boolean;
  /** Filtered probability of filteredPhase. */
  confidence: number;
  latencyMs: number;
  /** Capture sequence number of the frame. */
  seq: number;
}
