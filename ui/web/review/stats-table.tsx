import { formatDuration } from '../shared/format.js';
import type { CaseStats, PhaseMeta } from './review-api.js';

/** Time per phase in this case against this room's history of the procedure (median, p10–p90). */
export function StatsTable({ stats, phases }: { stats: CaseStats | null; phases: Map<string, PhaseMeta> }) {
  // The surgeon's own history, when the case names a surgeon with earlier cases.
  const bySurgeon = (stats?.surgeonHistoryCases ?? 0) > 0;
  return (
    <section class="panel" aria-labelledby="stats-title">
      <h3 id="stats-title">
        Time per phase against history
        {stats ? ` (${stats.historyCases} earlier case${stats.historyCases === 1 ? '' : 's'})` : ''}
      </h3>
      {!stats ? (
        <p class="notice">Statistics are not available.</p>
      ) : (
        <table data-testid="stats-table">
          <thead>
            <tr>
              <th scope="col">Phase</th>
              <th scope="col" class="num">
                This case
              </th>
              <th scope="col" class="num">
                Median
              </th>
              <th scope="col" class="num">
                p10–p90
              </th>
              <th scope="col">Compared</th>
              <th scope="col" class="num">
                Cases
              </th>
              {bySurgeon && (
                <th scope="col" class="num">
                  Surgeon's median (cases)
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {stats.items.map((s) => {
              const h = s.history;
              const verdict = !h
                ? 'no history'
                : s.durationMs > h.p90Ms
                  ? '▲ longer than usual'
                  : s.durationMs < h.p10Ms
                    ? '▼ shorter than usual'
                    : '● usual';
              return (
                <tr key={s.phase}>
                  <th scope="row">{phases.get(s.phase)?.displayName ?? s.phase}</th>
                  <td class="num">{formatDuration(s.durationMs)}</td>
                  <td class="num">{h ? formatDuration(h.medianMs) : '—'}</td>
                  <td class="num">{h ? `${formatDuration(h.p10Ms)}–${formatDuration(h.p90Ms)}` : '—'}</td>
                  <td>{verdict}</td>
                  <td class="num">{h?.cases ?? 0}</td>
                  {bySurgeon && (
                    <td class="num">
                      {s.surgeon ? `${formatDuration(s.surgeon.medianMs)} (${s.surgeon.cases})` : '—'}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
