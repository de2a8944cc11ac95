import type { PipelinePlan } from './pipeline/plan.js';

/**
 * Messages between the daemon (parent) and one source process (child), over the Node IPC
 * channel. Analysis frames do not travel here: they use a separate binary pipe (frame-wire.ts)
 * so a frame costs one write and no serialisation.
 */

/** Where and how the child records, while the daemon wants it to. */
export interface RecordTarget {
  caseId: string;
  /** Absolute directory for this case and source (<data_dir>/recordings/<case>/<source>). */
  dir: string;
}

export type ParentMessage =
  | { type: 'init'; plan: PipelinePlan; record: RecordTarget | null }
  | { type: 'record_start'; target: RecordTarget }
  | { type: 'record_stop'; requestId: number }
  | { type: 'shutdown' };

export type ErrorCode =
  | 'PIPELINE_BUILD_FAILED'
  | 'SOURCE_NOT_FOUND'
  | 'SOURCE_UNREACHABLE'
  | 'SOURCE_UNAUTHORIZED'
  | 'CAPS_UNSUPPORTED'
  | 'SOURCE_ERROR'
  | 'RECORDING_FAILED';

export interface ChunkInfo {
  caseId: string;
  /** Relative to <data_dir>/recordings. */
  path: string;
  startedAtMs: number;
  durationMs: number;
  sizeBytes: number;
  sha256: string;
}

export type ChildMessage =
  | { type: 'started'; atMs: number }
  | { type: 'playing'; atMs: number }
  | { type: 'stats'; framesIn: number; framesOut: number; framesDropped: number; atMs: number }
  | { type: 'error'; code: ErrorCode; message: string; fatal: boolean }
  | { type: 'eos' }
  | { type: 'recording'; active: boolean; caseId: string | null }
  | { type: 'chunk_opened'; caseId: string; path: string; startedAtMs: number }
  | { type: 'chunk_closed'; chunk: ChunkInfo }
  | { type: 'record_stopped'; requestId: number };
