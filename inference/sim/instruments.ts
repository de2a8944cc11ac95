import type { PhaseSegment } from './case-script.js';
import { CHOLEC_PHASES } from './cholec.js';
import type { Rng } from './rng.js';

export type InstrumentKind = 'grasper' | 'hook' | 'clipper' | 'scissors' | 'irrigator' | 'bipolar' | 'bag';

interface InstrumentLook {
  shaft: [number, number, number];
  tip: [number, number, number];
  /** Shaft width as a fraction of the frame height. */
  width: number;
  /** Probability of being in view during each phase (Cholec80 order): tools overlap between phases. */
  presence: readonly number[];
}

export const INSTRUMENTS: Readonly<Record<InstrumentKind, InstrumentLook>> = {
  grasper: {
    shaft: [55, 55, 60],
    tip: [150, 150, 155],
    width: 0.07,
    presence: [0.7, 0.85, 0.75, 0.85, 0.8, 0.45, 0.9],
  },
  hook: {
    shaft: [28, 28, 30],
    tip: [195, 195, 195],
    width: 0.06,
    presence: [0.45, 0.85, 0.12, 0.8, 0.05, 0.25, 0.02],
  },
  clipper: {
    shaft: [125, 125, 130],
    tip: [205, 205, 210],
    width: 0.085,
    presence: [0, 0.06, 0.75, 0.04, 0, 0.05, 0],
  },
  scissors: {
    shaft: [40, 40, 45],
    tip: [205, 170, 90],
    width: 0.06,
    presence: [0, 0.04, 0.5, 0.08, 0.04, 0.03, 0],
  },
  irrigator: {
    shaft: [215, 215, 205],
    tip: [60, 60, 60],
    width: 0.045,
    presence: [0.03, 0.06, 0.05, 0.12, 0.1, 0.8, 0.08],
  },
  bipolar: {
    shaft: [55, 65, 125],
    tip: [205, 205, 205],
    width: 0.06,
    presence: [0.02, 0.12, 0.05, 0.18, 0.05, 0.55, 0.05],
  },
  bag: {
    shaft: [232, 232, 226],
    tip: [232, 232, 226],
    width: 0.3,
    presence: [0, 0, 0, 0.03, 0.95, 0.2, 0.8],
  },
};

export const INSTRUMENT_KINDS = Object.keys(INSTRUMENTS) as InstrumentKind[];

/** The instrument that defines each phase (Cholec80 order), if any. */
const HALLMARK: ReadonlyArray<InstrumentKind | undefined> = [
  undefined,
  'hook',
  'clipper',
  'hook',
  'bag',
  'irrigator',
  'bag',
];

/** Time grid of the presence processes: four steps per second. */
export const PRESENCE_HZ = 4;

/**
 * Which instruments are in view, precomputed for the whole case. Each instrument is a
 * two-state Markov process whose stationary probability follows the current phase, with a
 * dwell of a few seconds, so tools come and go and linger across phase boundaries.
 */
export interface PresenceTrack {
  kind: InstrumentKind;
  present: Uint8Array;
  /** Grid index where the current run of presence began (for the entry animation). */
  runStart: Int32Array;
  /** Energy (cautery on) per grid step, 0..1: drives smoke. */
  active: Float32Array;
  entry: { x: number; y: number };
  orbit: { cx: number; cy: number; ax: number; ay: number; w1: number; w2: number; p1: number; p2: number };
}

export function planPresence(rng: Rng, segments: readonly PhaseSegment[], totalS: number): PresenceTrack[] {
  const steps = Math.ceil(totalS * PRESENCE_HZ) + 1;
  const phaseIndex = new Uint8Array(steps);
  const ids = CHOLEC_PHASES.map((p) => p.id);
  for (let k = 0, s = 0; k < steps; k++) {
    const t = k / PRESENCE_HZ;
    while (s < segments.length - 1 && t >= segments[s]!.endS) s++;
    phaseIndex[k] = ids.indexOf(segments[s]!.phase);
  }
  const entries = [
    { x: 1.05, y: 0.85 },
    { x: -0.05, y: 0.8 },
    { x: 1.05, y: 0.25 },
    { x: 0.75, y: 1.08 },
    { x: 0.2, y: 1.08 },
    { x: -0.05, y: 0.3 },
    { x: 0.5, y: -0.08 },
  ];
  return INSTRUMENT_KINDS.map((kind, n) => {
    const r = rng.fork(n + 1);
    const look = INSTRUMENTS[kind];
    const present = new Uint8Array(steps);
    const runStart = new Int32Array(steps);
    const active = new Float32Array(steps);
    const dwellSteps = r.range(3, 7) * PRESENCE_HZ;
    let on = r.chance(look.presence[phaseIndex[0]!]!);
    let start = 0;
    let energy = 0;
    for (let k = 0; k < steps; k++) {
      const p = look.presence[phaseIndex[k]!]!;
      // A phase is defined by its action: its hallmark tool comes in as the phase begins.
      const phaseStart = k === 0 || phaseIndex[k] !== phaseIndex[k - 1];
      if (phaseStart && !on && HALLMARK[phaseIndex[k]!] === kind) {
        on = true;
        start = k;
      } else if (on && r.chance((1 - p) / dwellSteps)) on = false;
      else if (!on && r.chance(p / dwellSteps)) {
        on = true;
        start = k;
      }
      present[k] = on ? 1 : 0;
      runStart[k] = start;
      const burns = kind === 'hook' || kind === 'bipolar';
      if (burns && on && r.chance(0.08)) energy = 1;
      energy *= 0.93;
      active[k] = on ? energy : 0;
    }
    const e = entries[(n + r.int(0, 6)) % entries.length]!;
    return {
      kind,
      present,
      runStart,
      active,
      entry: { x: e.x + r.range(-0.05, 0.05), y: e.y + r.range(-0.05, 0.05) },
      orbit: {
        cx: r.range(0.35, 0.65),
        cy: r.range(0.35, 0.65),
        ax: r.range(0.08, 0.2),
        ay: r.range(0.06, 0.16),
        w1: r.range(0.15, 0.6),
        w2: r.range(0.5, 1.4),
        p1: r.range(0, 6.28),
        p2: r.range(0, 6.28),
      },
    };
  });
}

/** A flat RGB frame being drawn. */
export interface Canvas {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Draws a shaded capsule (an instrument shaft) from (x0,y0) to (x1,y1), in pixels. Shading
 * across the width makes it look cylindrical; alpha < 1 makes it translucent (the bag).
 */
export function drawCapsule(
  c: Canvas,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  radius: number,
  rgb: readonly [number, number, number],
  alpha = 1,
): void {
  const minX = Math.max(0, Math.floor(Math.min(x0, x1) - radius));
  const maxX = Math.min(c.width - 1, Math.ceil(Math.max(x0, x1) + radius));
  const minY = Math.max(0, Math.floor(Math.min(y0, y1) - radius));
  const maxY = Math.min(c.height - 1, Math.ceil(Math.max(y0, y1) + radius));
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy || 1;
  const r2 = radius * radius;
  const d = c.data;
  for (let y = minY; y <= maxY; y++) {
    for (let x = minX; x <= maxX; x++) {
      let t = ((x - x0) * dx + (y - y0) * dy) / len2;
      t = t < 0 ? 0 : Math.min(t, 1);
      const px = x0 + t * dx - x;
      const py = y0 + t * dy - y;
      const dist2 = px * px + py * py;
      if (dist2 > r2) continue;
      const shade = 1.25 - 0.75 * (dist2 / r2);
      const i = (y * c.width + x) * 3;
      const a = alpha;
      d[i] = clamp(d[i]! * (1 - a) + rgb[0] * shade * a);
      d[i + 1] = clamp(d[i + 1]! * (1 - a) + rgb[1] * shade * a);
      d[i + 2] = clamp(d[i + 2]! * (1 - a) + rgb[2] * shade * a);
    }
  }
}

/** A filled, shaded ellipse (the specimen bag, lamps, people in the room scene). */
export function drawEllipse(
  c: Canvas,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  rgb: readonly [number, number, number],
  alpha = 1,
): void {
  const minX = Math.max(0, Math.floor(cx - rx));
  const maxX = Math.min(c.width - 1, Math.ceil(cx + rx));
  const minY = Math.max(0, Math.floor(cy - ry));
  const maxY = Math.min(c.height - 1, Math.ceil(cy + ry));
  const d = c.data;
  for (let y = minY; y <= maxY; y++) {
    const ny = (y - cy) / ry;
    for (let x = minX; x <= maxX; x++) {
      const nx = (x - cx) / rx;
      const q = nx * nx + ny * ny;
      if (q > 1) continue;
      const shade = 1.15 - 0.35 * q;
      const i = (y * c.width + x) * 3;
      d[i] = clamp(d[i]! * (1 - alpha) + rgb[0] * shade * alpha);
      d[i + 1] = clamp(d[i + 1]! * (1 - alpha) + rgb[1] * shade * alpha);
      d[i + 2] = clamp(d[i + 2]! * (1 - alpha) + rgb[2] * shade * alpha);
    }
  }
}

export function clamp(v: number): number {
  return v < 0 ? 0 : Math.min(v, 255);
}
