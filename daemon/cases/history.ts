import type { CaseRepo } from './case-repo.js';
import type { CaseDurations } from './predictions.js';
import { effectiveSegments, phaseDurations } from './timeline.js';

const MAX_CACHED = 64;

/**
 * Per-phase durations of this room's completed cases, per procedure (and surgeon), after
 * corrections. Cached; dropped when a case closes or a correction changes the history.
 */
export class CaseHistory {
  private readonly cache = new Map<string, CaseDurations[]>();

  constructor(
    private readonly repo: CaseRepo,
    private readonly limit: number,
  ) {}

  durations(procedure: string, surgeonId?: string, excludeCaseId?: string): CaseDurations[] {
    const key = `${procedure}\u0000${surgeonId ?? ''}\u0000${excludeCaseId ?? ''}`;
    let d = this.cache.get(key);
    if (!d) {
      d = this.repo
        .completedCases(procedure, this.limit + (excludeCaseId ? 1 : 0), surgeonId)
        .filter((c) => c.id !== excludeCaseId)
        .slice(0, this.limit)
        .map((c) =>
          phaseDurations(
            effectiveSegments(this.repo.segments(c.id), this.repo.corrections(c.id)),
            c.endedAtMs ?? Date.now(),
          ),
        );
      // Bounded: per-case stats views each add a key; start over rather than grow without end.
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(key, d);
    }
    return d;
  }

  invalidate(): void {
    this.cache.clear();
  }
}
