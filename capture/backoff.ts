/** Exponential restart delay with jitter, never above the configured maximum. */
export function restartDelayMs(
  attempt: number,
  o: { minMs: number; maxMs: number; jitterRatio: number },
  random: () => number = Math.random,
): number {
  const base = Math.min(o.maxMs, o.minMs * 2 ** Math.min(attempt, 30));
  return Math.round(Math.min(o.maxMs, base * (1 + o.jitterRatio * random())));
}
