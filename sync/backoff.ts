/** Exponential back-off with full jitter in [0.5, 1] of the capped delay. */
export function backoffMs(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  const capped = Math.min(maxMs, minMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(capped * (0.5 + random() * 0.5));
}
