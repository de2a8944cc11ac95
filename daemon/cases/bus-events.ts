import type { RecordingChunk, SourceStatus } from '../../capture/index.js';
import type { FrameResult, ModelInfo, PhaseEvent } from '../../inference/index.js';

/** A stretch of a case with no recording (encoder restart, source loss), from capture. */
export interface RecordingGap {
  source: string;
  caseId?: string;
  fromMs: number;
  toMs: number;
  reason?: string;
}

/**
 * The bus events the case engine consumes. Capture and inference declare the same keys next
 * to their own code; declaration merging accepts identical declarations.
 */
declare module '../bus.js' {
  interface OrsightEvents {
    'capture.source_status': SourceStatus;
    'capture.chunk_closed': RecordingChunk;
    'capture.recording_gap': RecordingGap;
    'inference.phase': PhaseEvent;
    'inference.model': ModelInfo;
    'inference.frame': FrameResult;
  }
}
