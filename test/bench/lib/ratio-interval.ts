/**
 * How far a benchmark's ratio can be trusted. A ratio of two medians over a handful of rounds on
 * a shared 2-core machine moves by several per cent from run to run (capture/README.md), which
 * is as wide as some targets' margins; the percentile bootstrap below says how wide, from the
 * rounds the run measured. Deterministic (seeded), so the same rounds give the same interval.
 */
import { median } from '../../../daemon/cases/quantiles.js';
import { Rng } from '../../../inference/sim/rng.js';

export interface RatioInterval {
  /** median(numerator) / median(denominator) */
  ratio: number;
  /** Lower and upper bound of the central `level` share of the bootstrap ratios. */
  low: number;
  high: number;
  level: number;
}

/**
 * Percentile-bootstrap interval of median(num) / median(den): each resample draws every side's
 * rounds again with replacement (the sides are resampled independently, as the rounds of the
 * two sides are independent runs).
 */
export function medianRatioInterval(
  num: readonly number[],
  den: readonly number[],
  { resamples = 4000, level = 0.95, seed = 1 }: { resamples?: number; level?: number; seed?: number } = {},
): RatioInterval {
  if (num.length === 0 || den.length === 0)
    throw new Error('medianRatioInterval needs at least one round per side');
  if (!(level > 0 && level < 1)) throw new Error(`level must be between 0 and 1, got ${level}`);
  const rng = new Rng(seed);
  const draw = (xs: readonly number[]) => xs.map(() => xs[Math.floor(rng.next() * xs.length)]!);
  const ratios: number[] = [];
  for (let i = 0; i < resamples; i++) ratios.push(median(draw(num))! / median(draw(den))!);
  ratios.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return {
    ratio: median(num)! / median(den)!,
    low: ratios[Math.floor(tail * (resamples - 1))]!,
    high: ratios[Math.ceil((1 - tail) * (resamples - 1))]!,
    level,
  };
}
