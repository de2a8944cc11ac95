import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../shared/api.js';
import { CaseList } from './case-list.js';
import { CasePage } from './case-page.js';
import { Login } from './login.js';
import { reviewApi, type User } from './review-api.js';
import { navigate, useRoute } from './route.js';

type Session = { state: 'checking' } | { state: 'anonymous'; error?: string } | { state: 'user'; user: User };

/** The review page: login, then the case list or one case. */
export function ReviewApp() {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const route = useRoute();
  useEffect(() => {
    reviewApi.me().then(
      (user) => setSession({ state: 'user', user }),
      (err: unknown) =>
        setSession({
          state: 'anonymous',
          error: err instanceof ApiError && err.status !== 401 ? err.message : undefined,
        }),
    );
  }, []);
  if (session.state === 'checking') return <p class="notice app-main">Loading…</p>;
  if (session.state === 'anonymous')
    return <Login error={session.error} onLogin={(user) => setSession({ state: 'user', user })} />;
  const user = session.user;
  const allowed = user.role === 'clinician' || user.role === 'admin';
  return (
    <>
      <header class="app-header">
        <h1>
          <a
            href="/review"
            onClick={(e) => {
              e.preventDefault();
              navigate({});
            }}
          >
            orsight review
          </a>
        </h1>
        <nav aria-label="Pages">
          <a href="/review">Cases</a>
          {user.role === 'admin' && <a href="/admin">Admin</a>}
        </nav>
        <span data-testid="user">
          {user.username} ({user.role})
        </span>
        <button
          type="button"
          onClick={() => void reviewApi.logout().finally(() => setSession({ state: 'anonymous' }))}
        >
          Log out
        </button>
      </header>
      <main class="app-main">
        {!allowed ? (
          <p class="error" role="alert" data-testid="forbidden">
            Your account ({user.role}) cannot open the review. Ask an administrator for clinician access.
          </p>
        ) : route.caseId ? (
          <CasePage key={route.caseId} caseId={route.caseId} jumpToMs={route.atMs} />
        ) : (
          <CaseList params={route.params} />
        )}
      </main>
    </>
  );
}
