export type { FrameResult, ModelInfo, PhaseEvent, PhaseInfo } from './types.js';
