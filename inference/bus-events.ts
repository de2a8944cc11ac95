import type { FrameResult, ModelInfo, PhaseEvent } from './types.js';

/** The events inference emits on the daemon bus (declaration merging, see daemon/bus.ts). */
declare module '../daemon/bus.js' {
  interface OrsightEvents {
    /** Phase started / ended and out-of-body started / ended, per source, in time order. */
    'inference.phase': PhaseEvent;
    /** Every classified frame: raw probabilities and the filtered state. */
    'inference.frame': FrameResult;
    /** The active model (at start and after every successful swap). */
    'inference.model': ModelInfo;
  }
}
