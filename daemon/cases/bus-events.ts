import type { RecordingChunk, RecordingGap, SourceStatus } from '../../capture/index.js';

export type { RecordingGap };

import type { FrameResult, ModelInfo, PhaseEvent } from '../../inference/index.js';

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
