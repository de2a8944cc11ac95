import { CHOLEC_PHASES, CHOLEC_TRANSITIONS } from './cholec.js';
import type { Rng } from './rng.js';

/** One stretch of the case in a single phase. Times in seconds from the start of the video. */
export interface PhaseSegment {
  phase: string;
  startS: number;
  endS: number;
}

export interface TimeSpan {
  startS: number;
  endS: number;
}

/** The ground truth of a generated case; written next to the video as FILE.labels.json. */
export interface CaseLabels {
  format: 'orsight-sim-labels';
  version: 1;
  seed: number;
  durationS: number;
  fps: number;
  phases: string[];
  segments: PhaseSegment[];
  outOfBody: TimeSpan[];
  /** Ground truth per whole second: phase (unchanged while out of body) and out-of-body flag. */
  perSecond: Array<{ t: number; phase: string; outOfBody: boolean }>;
}

const P = Object.fromEntries(CHOLEC_PHASES.map((p, i) => [p.id, i])) as Record<string, number>;

/**
 * The phase sequence of one case: the usual order, with occasional returns to an earlier
 * phase where the grammar allows it. Every step is checked against CHOLEC_TRANSITIONS.
 */
export function phaseSequence(rng: Rng): string[] {
  const ids = CHOLEC_PHASES.map((p) => p.id);
  const seq: number[] = [0, 1, 2];
  if (rng.chance(0.3)) seq.push(1, 2); // more dissection needed after a first clip
  seq.push(3);
  const tails = [
    [4, 6],
    [4, 5, 6],
    [5, 4, 6],
    [4, 5, 4, 6],
  ];
  seq.push(...tails[rng.weighted([0.35, 0.3, 0.2, 0.15])]!);
  if (rng.chance(0.15)) seq.push(5, 6); // bleeding noticed while retracting
  const out = seq.map((i) => ids[i]!);
  for (let i = 1; i < out.length; i++) {
    if (!CHOLEC_TRANSITIONS[out[i - 1]!]?.includes(out[i]!)) {
      throw new Error(`phase sequence breaks the grammar: ${out[i - 1]} -> ${out[i]}`);
    }
  }
  return out;
}

/**
 * Segment durations: typical Cholec80 durations with log-normal spread, returns shorter,
 * scaled to the requested length; no segment shorter than minSegmentS.
 */
export function planSegments(rng: Rng, totalS: number): PhaseSegment[] {
  const seq = phaseSequence(rng);
  const seen = new Set<string>();
  const raw = seq.map((id) => {
    const typical = CHOLEC_PHASES[P[id]!]!.typicalDurationS;
    const again = seen.has(id);
    seen.add(id);
    return typical * Math.exp(0.35 * rng.normal()) * (again ? 0.35 : 1);
  });
  // At least 8 s (4.5 % of the case) per segment, but never more than the video can hold.
  const minSegmentS = Math.min(Math.max(totalS * 0.045, 8), 60, totalS / (seq.length * 1.5));
  let durations = raw.map((d) => d * (totalS / raw.reduce((s, v) => s + v, 0)));
  for (let iter = 0; iter < 20; iter++) {
    const short = durations.map((d) => d < minSegmentS);
    if (!short.some(Boolean)) break;
    const fixed = short.filter(Boolean).length * minSegmentS;
    const flexTotal = durations.reduce((s, d, i) => s + (short[i] ? 0 : d), 0);
    const scale = (totalS - fixed) / flexTotal;
    durations = durations.map((d, i) => (short[i] ? minSegmentS : d * scale));
  }
  const segments: PhaseSegment[] = [];
  let t = 0;
  for (let i = 0; i < seq.length; i++) {
    const endS = i === seq.length - 1 ? totalS : t + durations[i]!;
    segments.push({ phase: seq[i]!, startS: round3(t), endS: round3(endS) });
    t = endS;
  }
  return segments;
}

/**
 * Out-of-body spans (the camera is taken out to clean the lens): a few per case, inside a
 * phase and away from its boundaries, as in real recordings.
 */
export function planOutOfBody(rng: Rng, segments: PhaseSegment[], totalS: number): TimeSpan[] {
  const count = Math.min(4, Math.max(1, Math.round(totalS / 600 + rng.range(0.4, 1.4))));
  const spans: TimeSpan[] = [];
  for (let k = 0; k < count * 20 && spans.length < count; k++) {
    const lenS = rng.range(4, 10);
    // Stay well inside the phase: 5 s from its edges, less in very short videos.
    const margin = totalS >= 120 ? 5 : 1.5;
    const fits = segments.filter((s) => s.endS - s.startS - 2 * margin - lenS > 0);
    if (fits.length === 0) continue;
    const seg = fits[rng.weighted(fits.map((s) => s.endS - s.startS))]!;
    const room = seg.endS - seg.startS - 2 * margin - lenS;
    const startS = seg.startS + margin + rng.next() * room;
    const span = { startS: round3(startS), endS: round3(startS + lenS) };
    if (spans.some((s) => span.startS < s.endS + 10 && s.startS < span.endS + 10)) continue;
    spans.push(span);
  }
  return spans.sort((a, b) => a.startS - b.startS);
}

export function buildLabels(
  seed: number,
  fps: number,
  totalS: number,
  segments: PhaseSegment[],
  outOfBody: TimeSpan[],
): CaseLabels {
  const perSecond: CaseLabels['perSecond'] = [];
  for (let t = 0; t < Math.floor(totalS); t++) {
    const mid = t + 0.5;
    perSecond.push({
      t,
      phase: phaseAt(segments, mid),
      outOfBody: outOfBody.some((s) => mid >= s.startS && mid < s.endS),
    });
  }
  return {
    format: 'orsight-sim-labels',
    version: 1,
    seed,
    durationS: totalS,
    fps,
    phases: CHOLEC_PHASES.map((p) => p.id),
    segments,
    outOfBody,
    perSecond,
  };
}

export function phaseAt(segments: readonly PhaseSegment[], tS: number): string {
  for (const s of segments) if (tS < s.endS) return s.phase;
  return segments[segments.length - 1]!.phase;
}

export function isOutOfBodyAt(spans: readonly TimeSpan[], tS: number): boolean {
  return spans.some((s) => tS >= s.startS && tS < s.endS);
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
