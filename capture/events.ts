import type { RecordingChunk, RecordingGap, SourceStatus } from './types.js';

/** The bus events capture emits (declaration merging into the daemon's event map). */
declare module '../daemon/bus.js' {
  interface OrsightEvents {
    'capture.source_status': SourceStatus;
    'capture.chunk_closed': RecordingChunk;
    'capture.recording_gap': RecordingGap;
  }
}
