import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from './log.js';

/**
 * Samples event-loop delay and warns when its p99 passes a threshold: the main loop must
 * only route small messages, so a high delay means heavy work leaked onto it.
 */
export class LoopMonitor {
  private histogram: IntervalHistogram | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastP99Ms = 0;

  constructor(
    private readonly log: Logger,
    private readonly warnMs: number,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
    this.histogram.enable();
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
  }

  get p99Ms(): number {
    return this.lastP99Ms;
  }

  private check(): void {
    const h = this.histogram;
    if (!h) return;
    this.lastP99Ms = h.percentile(99) / 1e6;
    const maxMs = h.max / 1e6;
    if (this.lastP99Ms > this.warnMs) {
      this.log.warn({ p99Ms: round(this.lastP99Ms), maxMs: round(maxMs) }, 'event loop delay is high');
    }
    h.reset();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram?.disable();
  }
}

const round = (v: number) => Math.round(v * 10) / 10;
