import type { BackendAttempt, BackendName, BackendPreference } from './backend.js';

/** Messages between the inference runtime (main thread) and its worker. */
export type ToWorker =
  | { type: 'init'; backend: BackendPreference; modelDir: string; maxBatch: number; warmupRuns: number }
  | { type: 'load'; id: number; modelDir: string; maxBatch: number; warmupRuns: number }
  | { type: 'infer'; id: number; n: number; width: number; height: number; rgb: Uint8Array }
  | { type: 'memory'; id: number }
  /** Fault injection for tests and `orsight doctor`: the worker throws from a timer and dies. */
  | { type: 'crash' }
  /** Fault injection for tests: the worker spins and never answers again. */
  | { type: 'hang' };

export interface WorkerModelInfo {
  dir: string;
  name: string;
  version: string;
  procedure: string;
  classes: string[];
  phases: Array<{ id: string; displayName: string; color: string; typicalDurationS: number }>;
  transitions: Record<string, string[]>;
  startPhases: string[];
  outOfBodyClass?: string;
  /** The classifier's typical delay in recognising a new phase (manifest boundaryLagS). */
  boundaryLagS?: number;
  inputWidth: number;
  inputHeight: number;
  fps: number;
}

export interface WireError {
  code: string;
  message: string;
}

export type FromWorker =
  | {
      type: 'ready';
      backend: BackendName;
      tfBackend: string;
      attempts: BackendAttempt[];
      model: WorkerModelInfo;
      warmupMs: number;
      numTensors: number;
    }
  | { type: 'init_failed'; error: WireError }
  | { type: 'loaded'; id: number; model: WorkerModelInfo; warmupMs: number; numTensors: number }
  | { type: 'load_failed'; id: number; error: WireError }
  | { type: 'result'; id: number; probabilities: Float32Array; inferMs: number; numTensors: number }
  | { type: 'infer_failed'; id: number; error: WireError }
  | { type: 'memory'; id: number; numTensors: number; numBytes: number };
