export type { AnalysisFrame, RecordingChunk, SourceState, SourceStatus } from './types.js';
