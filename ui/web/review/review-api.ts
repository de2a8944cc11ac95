import { ApiError, api } from '../shared/api.js';

/**
 * The REST calls the review and admin pages make, in one place, with the shapes they rely
 * on (the daemon's records, daemon/cases/records.ts, as JSON).
 */

export interface User {
  id: string;
  username: string;
  role: 'display' | 'clinician' | 'admin';
}

export interface CaseSummary {
  id: string;
  procedure: string;
  surgeonId: string | null;
  label?: string | null;
  startedAtMs: number;
  endedAtMs: number | null;
}

export interface Segment {
  segmentId: string;
  phase: string;
  modelPhase: string;
  startedAtMs: number;
  endedAtMs: number | null;
  corrected: boolean;
}

export interface TimelineEvent {
  id: string;
  atMs: number;
  type: string;
  sourceName: string | null;
}

export interface Bookmark {
  id: string;
  atMs: number;
  note: string;
  createdBy: string;
}

export interface Correction {
  id: string;
  segmentId: string;
  kind: 'move_boundary' | 'relabel';
  modelPhase: string | null;
  correctedPhase: string | null;
  modelAtMs: number | null;
  correctedAtMs: number | null;
}

export interface Recording {
  id: string;
  sourceName: string;
  name: string;
  startedAtMs: number;
  durationMs: number;
  url: string;
}

export interface PhaseMeta {
  id: string;
  displayName: string;
  color: string;
}

export interface CaseDetail {
  case: CaseSummary;
  segments: Segment[];
  events: TimelineEvent[];
  bookmarks: Bookmark[];
  corrections: Correction[];
}

export interface Distribution {
  cases: number;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
}

export interface PhaseStat {
  phase: string;
  durationMs: number;
  history: Distribution | null;
  surgeon: Distribution | null;
}

export interface CaseStats {
  historyCases: number;
  surgeonHistoryCases: number;
  items: PhaseStat[];
}

/** GET /api/auth/me: a user, or a paired display. */
interface MeView {
  user: { id: string; username: string; role: User['role'] } | null;
  display: { id: string; name: string } | null;
  role: User['role'];
}

const SIGNED_IN_KEY = 'orsight.signedIn';

/**
 * Whether this browser signed in before. Asking /api/auth/me without a session answers 401,
 * which the browser logs as a console error; a page that never signed in shows the login
 * form straight away instead. (The session itself is an httpOnly cookie; this flag is not.)
 */
function mayHaveSession(): boolean {
  try {
    return localStorage.getItem(SIGNED_IN_KEY) === '1';
  } catch {
    return true;
  }
}

function rememberSession(on: boolean): void {
  try {
    if (on) localStorage.setItem(SIGNED_IN_KEY, '1');
    else localStorage.removeItem(SIGNED_IN_KEY);
  } catch {
    // Storage disabled: /api/auth/me is simply asked every time.
  }
}

async function me(): Promise<User> {
  if (!mayHaveSession()) throw new ApiError(401, 'UNAUTHENTICATED', 'not signed in');
  try {
    const r = await api<MeView>('/api/auth/me');
    if (r.user) return r.user;
    return { id: r.display?.id ?? '', username: r.display?.name ?? 'display', role: 'display' };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) rememberSession(false);
    throw err;
  }
}

export interface SearchResult {
  caseId: string;
  procedure: string;
  startedAtMs: number;
  endedAtMs: number | null;
  label?: string | null;
  hits: Array<{ kind: string; atMs: number; snippet: string }>;
}

export const reviewApi = {
  me,
  login: async (username: string, password: string) => {
    const r = await api<{ user: User }>('/api/auth/login', { method: 'POST', body: { username, password } });
    rememberSession(true);
    return r.user;
  },
  logout: () => {
    rememberSession(false);
    return api<void>('/api/auth/logout', { method: 'POST', body: {} });
  },
  cases: (q: {
    procedure?: string;
    surgeonId?: string;
    fromMs?: number;
    toMs?: number;
    limit: number;
    offset: number;
  }) => api<{ items: CaseSummary[]; total: number }>('/api/cases', { query: q }),
  search: (q: string) => api<{ items: SearchResult[] }>('/api/search', { query: { q } }).then((r) => r.items),
  caseDetail: (id: string) => api<CaseDetail>(`/api/cases/${encodeURIComponent(id)}`),
  recordings: (id: string) =>
    api<{ items: Recording[] }>(`/api/cases/${encodeURIComponent(id)}/recordings`).then((r) => r.items),
  stats: (id: string) => api<CaseStats>(`/api/cases/${encodeURIComponent(id)}/stats`),
  phases: () => api<{ phases: PhaseMeta[] }>('/api/model').then((r) => r.phases),
  addBookmark: (caseId: string, atMs: number, note: string) =>
    api<Bookmark>(`/api/cases/${encodeURIComponent(caseId)}/bookmarks`, {
      method: 'POST',
      body: { atMs, note },
    }),
  deleteBookmark: (caseId: string, id: string) =>
    api<void>(`/api/cases/${encodeURIComponent(caseId)}/bookmarks/${encodeURIComponent(id)}`, {
      method: 'DELETE',
    }),
  moveBoundary: (caseId: string, segmentId: string, correctedAtMs: number) =>
    api<Correction>(`/api/cases/${encodeURIComponent(caseId)}/corrections`, {
      method: 'POST',
      body: { kind: 'move_boundary', segmentId, correctedAtMs },
    }),
  relabel: (caseId: string, segmentId: string, correctedPhase: string) =>
    api<Correction>(`/api/cases/${encodeURIComponent(caseId)}/corrections`, {
      method: 'POST',
      body: { kind: 'relabel', segmentId, correctedPhase },
    }),
  exportClip: (caseId: string, segmentId: string, source: string) =>
    api<{ url: string; name: string }>(`/api/cases/${encodeURIComponent(caseId)}/export`, {
      method: 'POST',
      body: { segmentId, source },
    }),
};
