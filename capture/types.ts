/**
 * Contract between capture/ and its consumers (inference, daemon, ui, sync).
 * Other parts import these types from capture/index.ts only.
 */

/** One analysis frame: RGB, tightly packed (width*height*3 bytes), already scaled in GStreamer. */
export interface AnalysisFrame {
  source: string;
  /** Per-source frame counter since the source process started. */
  seq: number;
  /**
   * Capture time, whole ms since the Unix epoch, strictly increasing per source process: arrival
   * on a monotonic clock mapped to the wall clock (live and real-time sources), or media time
   * mapped from the first frame (files played as fast as possible).
   */
  tsMs: number;
  width: number;
  height: number;
  data: Uint8Array;
}

export type SourceState = 'starting' | 'live' | 'stalled' | 'lost' | 'restarting' | 'stopped' | 'failed';

export interface SourceStatus {
  source: string;
  state: SourceState;
  /** ms since epoch of the last state change. */
  sinceMs: number;
  fpsIn: number;
  fpsOut: number;
  framesDropped: number;
  restarts: number;
  lastError?: string;
  /** Code of lastError, e.g. SOURCE_UNREACHABLE, CAPS_UNSUPPORTED (see capture/protocol.ts). */
  lastErrorCode?: string;
  recording: boolean;
  kind?: 'v4l2' | 'rtsp' | 'file' | 'sim';
  role?: 'endoscope' | 'room';
}

/** A recording chunk that was closed and is complete on disk. */
export interface RecordingChunk {
  caseId: string;
  source: string;
  /** Path relative to <data_dir>/recordings. */
  path: string;
  startedAtMs: number;
  durationMs: number;
  sizeBytes: number;
  sha256?: string;
}

/** A stretch of a case with no recording for a source (source lost, process restarted). */
export interface RecordingGap {
  source: string;
  caseId?: string;
  fromMs: number;
  toMs: number;
  reason?: string;
}
