import type { LivePrediction } from '../../ui/live-types.js';
import { median } from './quantiles.js';

/** Per-phase total durations (ms) of one completed case. */
export type CaseDurations = ReadonlyMap<string, number>;

export interface PredictionInput {
  nowMs: number;
  /** The running phase and when it started, or null (no phase detected yet). */
  current: { phase: string; startedAtMs: number } | null;
  /** Phases already seen in this case (the current one included). */
  visited: ReadonlySet<string>;
  /** The procedure's phases in their usual order (the model manifest's order). */
  phaseOrder: readonly string[];
  /** The model manifest's typical duration per phase (ms). */
  typicalMs: ReadonlyMap<string, number>;
  /** This room's completed cases of the same procedure. */
  history: readonly CaseDurations[];
  /** Fewest history cases before history is trusted over the model's typical durations. */
  minHistory: number;
}

/**
 * Expected end of the current phase and of the case.
 *
 * From history: the current phase's remaining time is the median of the past durations of
 * that phase that were longer than the time already spent in it (a phase that has run
 * 20 min is compared with the cases where it lasted more than 20 min), minus the time
 * spent. Each later phase (in the usual order, not yet visited) that occurred in at least
 * half of the past cases adds its median duration. Too little history → the same using
 * the model's typical durations. Nothing known → basis 'none'.
 */
export function predict(input: PredictionInput): LivePrediction {
  const useHistory = input.history.length >= input.minHistory;
  const order = input.phaseOrder.length > 0 ? input.phaseOrder : orderFromHistory(input.history);
  if (!useHistory && input.typicalMs.size === 0) {
    return { phaseEndMs: null, caseEndMs: null, basis: 'none', remaining: [] };
  }
  let phaseEndMs: number | null = null;
  if (input.current) {
    const elapsedMs = Math.max(0, input.nowMs - input.current.startedAtMs);
    const remainingMs = useHistory
      ? historyRemaining(input.history, input.current.phase, elapsedMs, input.typicalMs)
      : Math.max(0, (input.typicalMs.get(input.current.phase) ?? 0) - elapsedMs);
    phaseEndMs = input.nowMs + Math.round(remainingMs);
  }
  const currentIndex = input.current ? order.indexOf(input.current.phase) : -1;
  const remaining: LivePrediction['remaining'] = [];
  for (const [i, phase] of order.entries()) {
    if (i <= currentIndex || input.visited.has(phase)) continue;
    const expected = useHistory ? historyExpected(input.history, phase) : input.typicalMs.get(phase);
    if (expected === undefined) continue;
    remaining.push({ phase, expectedDurationMs: Math.round(expected) });
  }
  const base = phaseEndMs ?? input.nowMs;
  const caseEndMs = base + remaining.reduce((sum, r) => sum + r.expectedDurationMs, 0);
  return { phaseEndMs, caseEndMs, basis: useHistory ? 'history' : 'model', remaining };
}

function historyRemaining(
  history: readonly CaseDurations[],
  phase: string,
  elapsedMs: number,
  typicalMs: ReadonlyMap<string, number>,
): number {
  const durations = history.map((h) => h.get(phase)).filter((d): d is number => d !== undefined);
  if (durations.length === 0) return Math.max(0, (typicalMs.get(phase) ?? 0) - elapsedMs);
  const longer = durations.filter((d) => d > elapsedMs);
  // Ran longer than every past case: expect it to end any moment.
  if (longer.length === 0) return 0;
  return median(longer)! - elapsedMs;
}

/** Median duration of a phase over the cases where it happened, if it happened in at least half. */
function historyExpected(history: readonly CaseDurations[], phase: string): number | undefined {
  const durations = history.map((h) => h.get(phase)).filter((d): d is number => d !== undefined);
  if (durations.length * 2 < history.length) return undefined;
  return median(durations);
}

/** Phase order by first appearance (Map keeps insertion order), when no model names one. */
function orderFromHistory(history: readonly CaseDurations[]): string[] {
  const seen = new Set<string>();
  for (const h of history) for (const p of h.keys()) seen.add(p);
  return [...seen];
}
