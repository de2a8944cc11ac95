import { useEffect, useState } from 'preact/hooks';

/** The review page's place: the case list (with its query) or one case, in the URL. */
export interface Route {
  caseId: string | null;
  /** Jump target inside the case, ms since epoch. */
  atMs: number | null;
  params: URLSearchParams;
}

function current(): Route {
  const params = new URLSearchParams(location.search);
  const at = Number(params.get('t'));
  return { caseId: params.get('case'), atMs: Number.isFinite(at) && at > 0 ? at : null, params };
}

export function navigate(query: Record<string, string | number | undefined | null>, replace = false): void {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const url = `${location.pathname}${params.size ? `?${params}` : ''}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const on = () => setRoute(current());
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return route;
}
