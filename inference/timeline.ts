import type { PhaseEvent } from './types.js';

export interface TimelineSegment {
  phase: string;
  startMs: number;
  /** undefined while the phase is still running. */
  endMs: number | undefined;
}

export interface Timeline {
  phases: TimelineSegment[];
  outOfBody: Array<{ startMs: number; endMs: number | undefined }>;
}

/** Folds one source's phase events into the timeline a surgeon reviews. */
export function buildTimeline(events: readonly PhaseEvent[]): Timeline {
  const t: Timeline = { phases: [], outOfBody: [] };
  for (const e of events) {
    switch (e.type) {
      case 'phase_started':
        t.phases.push({ phase: e.phase, startMs: e.atMs, endMs: undefined });
        break;
      case 'phase_ended': {
        const open = t.phases[t.phases.length - 1];
        if (open && open.phase === e.phase && open.endMs === undefined) open.endMs = e.atMs;
        break;
      }
      case 'phase_retracted': {
        const open = t.phases[t.phases.length - 1];
        if (!open || open.phase !== e.phase || open.endMs !== undefined) break;
        t.phases.pop();
        const resumed = t.phases[t.phases.length - 1];
        if (resumed && resumed.phase === e.resumedPhase) resumed.endMs = undefined;
        // No segment of the resumed phase before it (the timeline began later): it takes the span.
        else t.phases.push({ phase: e.resumedPhase, startMs: open.startMs, endMs: undefined });
        break;
      }
      case 'out_of_body_started':
        t.outOfBody.push({ startMs: e.atMs, endMs: undefined });
        break;
      case 'out_of_body_ended': {
        const open = t.outOfBody[t.outOfBody.length - 1];
        if (open && open.endMs === undefined) open.endMs = e.atMs;
        break;
      }
    }
  }
  return t;
}

/** The timeline's phase at tMs (undefined before the first phase). */
export function timelinePhaseAt(t: Timeline, tMs: number): string | undefined {
  let phase: string | undefined;
  for (const s of t.phases) {
    if (s.startMs <= tMs) phase = s.phase;
    else break;
  }
  return phase;
}

export function timelineOutOfBodyAt(t: Timeline, tMs: number): boolean {
  return t.outOfBody.some((s) => tMs >= s.startMs && (s.endMs === undefined || tMs < s.endMs));
}
