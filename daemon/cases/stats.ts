import { type Static, Type } from '@sinclair/typebox';
import type { CaseRepo } from './case-repo.js';
import type { CaseHistory } from './history.js';
import { quantile } from './quantiles.js';
import { effectiveSegments, phaseDurations } from './timeline.js';

const Distribution = Type.Union([
  Type.Object(
    {
      cases: Type.Integer({ description: 'Past cases in which this phase occurred.' }),
      medianMs: Type.Number(),
      p10Ms: Type.Number(),
      p90Ms: Type.Number(),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

export const CaseStats = Type.Object(
  {
    caseId: Type.String(),
    procedure: Type.String(),
    surgeonId: Type.Union([Type.String(), Type.Null()]),
    historyCases: Type.Integer({ description: 'Completed cases of the procedure compared against.' }),
    surgeonHistoryCases: Type.Integer({ description: 'Of those, by the same surgeon.' }),
    phases: Type.Array(
      Type.Object(
        {
          phase: Type.String(),
          durationMs: Type.Number({
            description: 'Time in this phase in this case (0 if it did not occur).',
          }),
          history: Distribution,
          surgeon: Distribution,
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CaseStats = Static<typeof CaseStats>;
type Dist = Static<typeof Distribution>;

function distribution(values: number[]): Dist {
  if (values.length === 0) return null;
  return {
    cases: values.length,
    medianMs: quantile(values, 0.5)!,
    p10Ms: quantile(values, 0.1)!,
    p90Ms: quantile(values, 0.9)!,
  };
}

/**
 * Time per phase in one case against this room's history of the same procedure (median,
 * p10–p90), and against the same surgeon's cases when one is assigned. `phaseOrder` lists
 * the phases to report first (the model's order); any other phase seen follows.
 */
export function caseStats(
  repo: CaseRepo,
  history: CaseHistory,
  caseId: string,
  phaseOrder: readonly string[],
  nowMs: number,
): CaseStats | undefined {
  const c = repo.getCase(caseId);
  if (!c) return undefined;
  const own = phaseDurations(
    effectiveSegments(repo.segments(caseId), repo.corrections(caseId)),
    c.endedAtMs ?? nowMs,
  );
  const all = history.durations(c.procedure, undefined, caseId);
  const mine = c.surgeonId ? history.durations(c.procedure, c.surgeonId, caseId) : [];
  const phases = new Set<string>(phaseOrder);
  for (const p of own.keys()) phases.add(p);
  for (const h of all) for (const p of h.keys()) phases.add(p);
  const values = (set: typeof all, p: string) =>
    set.map((h) => h.get(p)).filter((d): d is number => d !== undefined);
  return {
    caseId,
    procedure: c.procedure,
    surgeonId: c.surgeonId,
    historyCases: all.length,
    surgeonHistoryCases: mine.length,
    phases: [...phases].map((p) => ({
      phase: p,
      durationMs: own.get(p) ?? 0,
      history: distribution(values(all, p)),
      surgeon: c.surgeonId ? distribution(values(mine, p)) : null,
    })),
  };
}
