import { useEffect, useState } from 'preact/hooks';
import { formatDateTime, formatDuration } from '../shared/format.js';
import { CLIENT } from '../shared/settings.js';
import { type CaseSummary, reviewApi, type SearchResult } from './review-api.js';
import { navigate } from './route.js';

type Load<T> = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ok'; data: T };

const dayStartMs = (date: string) => (date ? new Date(`${date}T00:00:00`).getTime() : undefined);
const dayEndMs = (date: string) => (date ? new Date(`${date}T23:59:59.999`).getTime() : undefined);

/** Case list: full-text search, or filters by date, procedure and surgeon; newest first. */
export function CaseList({ params }: { params: URLSearchParams }) {
  const q = params.get('q') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const procedure = params.get('procedure') ?? '';
  const surgeon = params.get('surgeon') ?? '';
  const page = Math.max(0, Number(params.get('page') ?? 0) || 0);
  const [cases, setCases] = useState<Load<{ items: CaseSummary[]; total: number }>>({ state: 'loading' });
  const [hits, setHits] = useState<Load<SearchResult[]> | null>(null);

  useEffect(() => {
    setCases({ state: 'loading' });
    reviewApi
      .cases({
        procedure: procedure || undefined,
        surgeonId: surgeon || undefined,
        fromMs: dayStartMs(from),
        toMs: dayEndMs(to),
        limit: CLIENT.casesPageSize,
        offset: page * CLIENT.casesPageSize,
      })
      .then(
        (data) => setCases({ state: 'ok', data }),
        (err: Error) => setCases({ state: 'error', message: err.message }),
      );
  }, [from, to, procedure, surgeon, page]);

  useEffect(() => {
    if (!q) {
      setHits(null);
      return;
    }
    setHits({ state: 'loading' });
    reviewApi.search(q).then(
      (data) => setHits({ state: 'ok', data }),
      (err: Error) => setHits({ state: 'error', message: err.message }),
    );
  }, [q]);

  const onSubmit = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const get = (k: string) => String(f.get(k) ?? '').trim();
    navigate({
      q: get('q'),
      from: get('from'),
      to: get('to'),
      procedure: get('procedure'),
      surgeon: get('surgeon'),
    });
  };

  return (
    <>
      <search aria-label="Find cases">
        <form class="panel row filters" onSubmit={onSubmit} key={params.toString()}>
          <label>
            Search
            <input
              name="q"
              type="search"
              defaultValue={q}
              placeholder="phase, event, note, date…"
              data-testid="search"
            />
          </label>
          <label>
            From
            <input name="from" type="date" defaultValue={from} />
          </label>
          <label>
            To
            <input name="to" type="date" defaultValue={to} />
          </label>
          <label>
            Procedure
            <input name="procedure" defaultValue={procedure} />
          </label>
          <label>
            Surgeon
            <input name="surgeon" defaultValue={surgeon} />
          </label>
          <button type="submit" class="primary">
            Find
          </button>
          {(q || from || to || procedure || surgeon) && (
            <button type="button" onClick={() => navigate({})}>
              Clear
            </button>
          )}
        </form>
      </search>
      {hits && <SearchResults q={q} hits={hits} />}
      {!hits && <CaseTable load={cases} page={page} />}
    </>
  );
}

function SearchResults({ q, hits }: { q: string; hits: Load<SearchResult[]> }) {
  if (hits.state === 'loading') return <p class="notice">Searching…</p>;
  if (hits.state === 'error')
    return (
      <p class="error" role="alert">
        {hits.message}
      </p>
    );
  return (
    <section class="panel" aria-label="Search results" data-testid="search-results">
      <h2>
        {hits.data.length} case{hits.data.length === 1 ? '' : 's'} match “{q}”
      </h2>
      <ul class="hits">
        {hits.data.map((r) => (
          <li key={r.caseId} data-testid="search-result">
            <a
              href={`/review?case=${encodeURIComponent(r.caseId)}`}
              onClick={link({ case: r.caseId })}
              data-testid="case-link"
            >
              {r.procedure} · {formatDateTime(r.startedAtMs)}
            </a>
            {r.label ? ` · ${r.label}` : ''}
            <ul>
              {r.hits.map((h) => (
                <li key={`${h.kind}-${h.atMs}-${h.snippet}`}>
                  <span class="badge">{h.kind}</span> {h.snippet}{' '}
                  <a
                    href={`/review?case=${encodeURIComponent(r.caseId)}&t=${h.atMs}`}
                    onClick={link({ case: r.caseId, t: h.atMs })}
                    data-testid="jump-link"
                  >
                    jump to {formatDuration(h.atMs - r.startedAtMs)}
                  </a>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </section>
  );
}

function CaseTable({ load, page }: { load: Load<{ items: CaseSummary[]; total: number }>; page: number }) {
  if (load.state === 'loading') return <p class="notice">Loading cases…</p>;
  if (load.state === 'error')
    return (
      <p class="error" role="alert">
        {load.message}
      </p>
    );
  const { items, total } = load.data;
  const pages = Math.ceil(total / CLIENT.casesPageSize);
  return (
    <section class="panel" aria-label="Cases">
      <h2>
        {total} case{total === 1 ? '' : 's'}
      </h2>
      <table data-testid="case-table">
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Procedure</th>
            <th scope="col">Surgeon</th>
            <th scope="col" class="num">
              Duration
            </th>
            <th scope="col">Label</th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.id}>
              <td>
                <a
                  href={`/review?case=${encodeURIComponent(c.id)}`}
                  onClick={link({ case: c.id })}
                  data-testid="case-link"
                >
                  {formatDateTime(c.startedAtMs)}
                </a>
              </td>
              <td>{c.procedure}</td>
              <td>{c.surgeonId ?? '—'}</td>
              <td class="num">{c.endedAtMs ? formatDuration(c.endedAtMs - c.startedAtMs) : 'open'}</td>
              <td>{c.label ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {pages > 1 && (
        <nav class="row pager" aria-label="Pages of cases">
          <button type="button" disabled={page === 0} onClick={() => navigatePage(page - 1)}>
            Previous
          </button>
          <span>
            page {page + 1} of {pages}
          </span>
          <button type="button" disabled={page + 1 >= pages} onClick={() => navigatePage(page + 1)}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}

function navigatePage(page: number): void {
  const params = Object.fromEntries(new URLSearchParams(location.search));
  navigate({ ...params, page });
}

/** An in-app link that keeps ctrl/middle-click opening a new tab. */
function link(query: Record<string, string | number>) {
  return (e: MouseEvent) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(query);
  };
}
