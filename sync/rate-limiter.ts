/**
 * Token bucket for the video bandwidth cap. take(n) resolves when n bytes may be sent;
 * a rate of 0 means unlimited. The bucket holds at most one second of tokens.
 */
export class RateLimiter {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly bytesPerS: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = bytesPerS;
    this.lastMs = now();
  }

  async take(bytes: number): Promise<void> {
    if (this.bytesPerS <= 0) return;
    for (;;) {
      const nowMs = this.now();
      this.tokens = Math.min(this.bytesPerS, this.tokens + ((nowMs - this.lastMs) * this.bytesPerS) / 1000);
      this.lastMs = nowMs;
      // A chunk larger than the bucket goes once the bucket is full.
      const need = Math.min(bytes, this.bytesPerS);
      if (this.tokens >= need) {
        this.tokens -= need;
        return;
      }
      const waitMs = Math.ceil(((need - this.tokens) * 1000) / this.bytesPerS);
      await new Promise((r) => setTimeout(r, Math.max(1, waitMs)));
    }
  }
}
