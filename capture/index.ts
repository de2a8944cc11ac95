export { CaptureError, CapturePart, type CapturePartOptions } from './capture-part.js';
export type { FrameConsumer, SubscribeOptions } from './frame-hub.js';
export {
  chooseDecoder,
  chooseEncoder,
  DECODERS,
  discoverHardware,
  ENCODERS,
  type Hardware,
} from './hardware.js';
export type { AnalysisFrame, RecordingChunk, RecordingGap, SourceState, SourceStatus } from './types.js';
