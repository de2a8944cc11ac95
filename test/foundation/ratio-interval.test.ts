import { describe, expect, it } from 'vitest';
import { Rng } from '../../inference/sim/rng.js';
import { medianRatioInterval } from '../bench/lib/ratio-interval.js';

/** Rounds of a side whose true speed is `fps`, with `spread` relative noise per round. */
function rounds(n: number, fps: number, spread: number, seed: number): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => fps * (1 + spread * r.normal()));
}

describe('medianRatioInterval (benchmark ratios with their uncertainty)', () => {
  it('is exact when every round of both sides is the same', () => {
    const iv = medianRatioInterval([480, 480, 480], [500, 500, 500]);
    expect(iv).toEqual({ ratio: 0.96, low: 0.96, high: 0.96, level: 0.95 });
  });

  it('brackets the point ratio and gives the same interval for the same rounds', () => {
    const num = rounds(7, 950, 0.08, 1);
    const den = rounds(7, 1000, 0.08, 2);
    const a = medianRatioInterval(num, den);
    expect(a.low).toBeLessThanOrEqual(a.ratio);
    expect(a.high).toBeGreaterThanOrEqual(a.ratio);
    expect(medianRatioInterval(num, den)).toEqual(a);
  });

  it('tells a 5 % gap from parity with many rounds, and does not with few', () => {
    // The situation of the capture benchmark: the Node path 5 % slower, rounds ±8 % apart.
    const few = medianRatioInterval(rounds(7, 950, 0.08, 3), rounds(7, 1000, 0.08, 4));
    const many = medianRatioInterval(rounds(200, 950, 0.08, 5), rounds(200, 1000, 0.08, 6));
    expect(many.high - many.low).toBeLessThan((few.high - few.low) / 3);
    expect(many.low).toBeLessThan(0.95);
    expect(many.high).toBeGreaterThan(0.95);
    expect(many.high).toBeLessThan(0.97);
    expect(few.high - few.low).toBeGreaterThan(0.05);
    expect(few.high).toBeGreaterThan(1);
  });

  it('refuses empty sides and a level outside (0, 1) with a message saying so', () => {
    expect(() => medianRatioInterval([], [1])).toThrow(/at least one round per side/);
    expect(() => medianRatioInterval([1], [1], { level: 95 })).toThrow(/level must be between 0 and 1/);
  });
});
