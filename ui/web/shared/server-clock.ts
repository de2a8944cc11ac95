import { CLIENT } from './settings.js';

/**
 * The server's clock as seen from the browser. Each live message carries serverTimeMs; the
 * offset to the browser's monotonic clock is estimated from recent samples, keeping the
 * largest (a sample is only ever late by its network delay, never early). Timers computed
 * from it do not drift with the browser's wall clock and are right again right after a
 * reconnect.
 */
export class ServerClock {
  private samples: number[] = [];
  private offsetMs: number | undefined;

  /** Records that the server said `serverTimeMs` at this instant. */
  sample(serverTimeMs: number): void {
    this.samples.push(serverTimeMs - performance.now());
    if (this.samples.length > CLIENT.clockSamples) this.samples.shift();
    this.offsetMs = Math.max(...this.samples);
  }

  /** Forget samples (after a reconnect the server may be a restarted process). */
  reset(): void {
    this.samples = [];
  }

  get synced(): boolean {
    return this.offsetMs !== undefined;
  }

  /** Server time now, ms since epoch; the browser's clock until the first sample. */
  now(): number {
    return this.offsetMs === undefined ? Date.now() : performance.now() + this.offsetMs;
  }
}
