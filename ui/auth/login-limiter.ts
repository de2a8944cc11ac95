/**
 * Failed logins per client address in a sliding minute. Over the limit, logins from that
 * address are refused (429) until old failures age out, whether the password is right or not.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly windowMs = 60_000,
  ) {}

  /** ms until another attempt is allowed, or 0 when it is allowed now. */
  retryAfterMs(key: string, nowMs = Date.now()): number {
    const list = this.prune(key, nowMs);
    if (list.length < this.perMinute) return 0;
    return list[0]! + this.windowMs - nowMs;
  }

  fail(key: string, nowMs = Date.now()): void {
    const list = this.prune(key, nowMs);
    list.push(nowMs);
    this.failures.set(key, list);
    if (this.failures.size > 10_000) this.sweep(nowMs);
  }

  private prune(key: string, nowMs: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => nowMs - t < this.windowMs);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  private sweep(nowMs: number): void {
    for (const key of [...this.failures.keys()]) this.prune(key, nowMs);
  }
}
