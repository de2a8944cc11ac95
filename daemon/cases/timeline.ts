import type { CorrectionRecord, EffectiveSegment, SegmentRecord } from './records.js';

/**
 * The timeline after clinician corrections. The model's segments are never changed: a
 * relabel names another phase for a segment, a boundary move shifts where a segment starts
 * (and so where the one before it ends). Corrections apply in the order they were made.
 */
export function effectiveSegments(
  segments: readonly SegmentRecord[],
  corrections: readonly CorrectionRecord[],
): EffectiveSegment[] {
  const out: EffectiveSegment[] = segments.map((s) => ({
    segmentId: s.id,
    phase: s.phase,
    modelPhase: s.phase,
    startedAtMs: s.startedAtMs,
    endedAtMs: s.endedAtMs,
    corrected: false,
  }));
  const index = new Map(out.map((s, i) => [s.segmentId, i]));
  for (const c of corrections) {
    const i = index.get(c.segmentId);
    if (i === undefined) continue;
    const seg = out[i]!;
    if (c.kind === 'relabel' && c.correctedPhase) {
      seg.phase = c.correctedPhase;
      seg.corrected = true;
    } else if (c.kind === 'move_boundary' && c.correctedAtMs !== null) {
      seg.startedAtMs = c.correctedAtMs;
      seg.corrected = true;
      const prev = out[i - 1];
      if (prev) {
        prev.endedAtMs = c.correctedAtMs;
        prev.corrected = true;
      }
    }
  }
  return out;
}

/** Where a segment's start may be moved to: after the previous segment starts, before it ends. */
export function boundaryRange(
  segments: readonly EffectiveSegment[],
  segmentId: string,
  caseStartMs: number,
  nowMs: number,
): { minMs: number; maxMs: number } | undefined {
  const i = segments.findIndex((s) => s.segmentId === segmentId);
  if (i < 0) return undefined;
  const seg = segments[i]!;
  const prev = segments[i - 1];
  return { minMs: prev ? prev.startedAtMs + 1 : caseStartMs, maxMs: (seg.endedAtMs ?? nowMs) - 1 };
}

/** Total time per phase (ms) over a case's effective segments; the open one runs to `nowMs`. */
export function phaseDurations(segments: readonly EffectiveSegment[], nowMs: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of segments) {
    const d = Math.max(0, (s.endedAtMs ?? nowMs) - s.startedAtMs);
    out.set(s.phase, (out.get(s.phase) ?? 0) + d);
  }
  return out;
}
