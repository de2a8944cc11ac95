import type { Store } from './store.js';

/**
 * Collects small writes (per-frame scores, health samples) and commits them together, so a
 * burst costs one fsync instead of hundreds. flush() runs at most every `intervalMs`, or at
 * once when `maxPending` writes wait.
 */
export class WriteBatcher {
  private pending: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly intervalMs = 200,
    private readonly maxPending = 500,
  ) {}

  add(write: () => void): void {
    this.pending.push(write);
    if (this.pending.length >= this.maxPending) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const writes = this.pending;
    this.pending = [];
    if (writes.length === 0) return;
    this.store.tx(() => {
      for (const w of writes) w();
    });
  }
}
