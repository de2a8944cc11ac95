import { type Static, Type } from '@sinclair/typebox';
import type { Store } from '../store/index.js';

export const SearchResult = Type.Object(
  {
    caseId: Type.String(),
    procedure: Type.String(),
    startedAtMs: Type.Integer(),
    endedAtMs: Type.Union([Type.Integer(), Type.Null()]),
    label: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    hits: Type.Array(
      Type.Object(
        {
          kind: Type.String({ description: 'case, phase, event, bookmark or correction' }),
          atMs: Type.Integer({ description: 'Jump-to time in the case.' }),
          snippet: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type SearchResult = Static<typeof SearchResult>;

/**
 * Turns what a person typed into an FTS5 query: each word becomes a quoted prefix term, so
 * punctuation and FTS operators in the input are taken literally and cannot break the query.
 */
export function ftsQuery(text: string): string | undefined {
  const words = text
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
    .slice(0, 16);
  if (words.length === 0) return undefined;
  return words.map((w) => `"${w}"*`).join(' ');
}

/** Full-text search over the timeline: cases that match every word, newest first, with hits. */
export function searchCases(
  store: Store,
  text: string,
  limits: { cases: number; hitsPerCase: number },
): SearchResult[] {
  const q = ftsQuery(text);
  if (!q) return [];
  // Words may match in different records of one case, so match per word and intersect.
  const terms = q.split(' ');
  const hitRows = store.db
    .prepare(
      `SELECT case_id, kind, at, snippet(search_index, 0, '', '', '…', 10) AS snippet
       FROM search_index WHERE search_index MATCH ? ORDER BY at`,
    )
    .all(terms.join(' OR ')) as Array<{ case_id: string; kind: string; at: number; snippet: string }>;
  const perTerm = terms.map(
    (t) =>
      new Set(
        (
          store.db
            .prepare('SELECT DISTINCT case_id FROM search_index WHERE search_index MATCH ?')
            .all(t) as Array<{
            case_id: string;
          }>
        ).map((r) => r.case_id),
      ),
  );
  const matching = [...perTerm[0]!].filter((id) => perTerm.every((s) => s.has(id)));
  if (matching.length === 0) return [];
  const cases = store.db
    .prepare(
      `SELECT id, procedure, started_at, ended_at, label FROM cases
       WHERE id IN (${matching.map(() => '?').join(',')}) ORDER BY started_at DESC LIMIT ?`,
    )
    .all(...matching, limits.cases) as Array<{
    id: string;
    procedure: string;
    started_at: number;
    ended_at: number | null;
    label: string | null;
  }>;
  return cases.map((c) => ({
    caseId: c.id,
    procedure: c.procedure,
    startedAtMs: c.started_at,
    endedAtMs: c.ended_at,
    label: c.label,
    hits: hitRows
      .filter((h) => h.case_id === c.id)
      .slice(0, limits.hitsPerCase)
      .map((h) => ({ kind: h.kind, atMs: h.at, snippet: h.snippet })),
  }));
}
