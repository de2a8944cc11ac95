import type { Rng } from './rng.js';

/**
 * Tileable fractal value noise on a size×size grid, normalised to [0, 1]. Precomputed once
 * per video so that drawing a frame is only table look-ups.
 */
export function fractalNoise(
  rng: Rng,
  size: number,
  baseCells: number,
  octaves: number,
  gain = 0.5,
): Float32Array {
  const out = new Float32Array(size * size);
  let amp = 1;
  let cells = baseCells;
  for (let o = 0; o < octaves; o++) {
    const grid = new Float32Array(cells * cells);
    for (let i = 0; i < grid.length; i++) grid[i] = rng.next();
    const step = size / cells;
    for (let y = 0; y < size; y++) {
      const gy = y / step;
      const y0 = Math.floor(gy);
      const fy = smooth(gy - y0);
      const r0 = (y0 % cells) * cells;
      const r1 = ((y0 + 1) % cells) * cells;
      for (let x = 0; x < size; x++) {
        const gx = x / step;
        const x0 = Math.floor(gx);
        const fx = smooth(gx - x0);
        const c0 = x0 % cells;
        const c1 = (x0 + 1) % cells;
        const top = grid[r0 + c0]! + (grid[r0 + c1]! - grid[r0 + c0]!) * fx;
        const bottom = grid[r1 + c0]! + (grid[r1 + c1]! - grid[r1 + c0]!) * fx;
        out[y * size + x] = out[y * size + x]! + amp * (top + (bottom - top) * fy);
      }
    }
    amp *= gain;
    cells *= 2;
  }
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of out) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min || 1;
  for (let i = 0; i < out.length; i++) out[i] = (out[i]! - min) / span;
  return out;
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}
