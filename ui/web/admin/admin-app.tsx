import { type ComponentChildren, Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Login } from '../review/login.js';
import { reviewApi, type User } from '../review/review-api.js';
import { ApiError } from '../shared/api.js';
import { formatDateTime } from '../shared/format.js';
import {
  type AuditRow,
  adminApi,
  type DisplayTokenRow,
  type ModelInfo,
  type SourceHealth,
  type UserRow,
} from './admin-api.js';

const AUDIT_ROWS = 100;

type Load<T> = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ok'; data: T };

function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): [Load<T>, () => void] {
  const [load, setLoad] = useState<Load<T>>({ state: 'loading' });
  const [n, setN] = useState(0);
  useEffect(() => {
    fn().then(
      (data) => setLoad({ state: 'ok', data }),
      (err: unknown) =>
        setLoad({
          state: 'error',
          message:
            err instanceof ApiError && err.status === 404
              ? 'Not available on this daemon.'
              : (err as Error).message,
        }),
    );
  }, [...deps, n]);
  return [load, () => setN((x) => x + 1)];
}

function Panel<T>({
  title,
  load,
  children,
}: {
  title: string;
  load: Load<T>;
  children: (data: T) => ComponentChildren;
}) {
  const id = `panel-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section class="panel" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {load.state === 'loading' ? (
        <p class="notice">Loading…</p>
      ) : load.state === 'error' ? (
        <p class="notice">{load.message}</p>
      ) : (
        children(load.data)
      )}
    </section>
  );
}

/** Admin: the box's health at a glance, and the people and screens allowed to use it. */
export function AdminApp() {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  useEffect(() => {
    reviewApi.me().then(setUser, () => setUser(null));
  }, []);
  if (user === undefined) return <p class="notice app-main">Loading…</p>;
  if (user === null) return <Login onLogin={setUser} />;
  return (
    <>
      <header class="app-header">
        <h1>orsight admin</h1>
        <nav aria-label="Pages">
          <a href="/review">Review</a>
          <a href="/display">Wall display</a>
        </nav>
        <span>
          {user.username} ({user.role})
        </span>
      </header>
      <main class="app-main">
        {user.role !== 'admin' ? (
          <p class="error" role="alert" data-testid="forbidden">
            Only administrators can open this page.
          </p>
        ) : (
          <AdminPanels />
        )}
      </main>
    </>
  );
}

function AdminPanels() {
  const [sources] = useLoad(adminApi.sources, []);
  const [model] = useLoad(adminApi.model, []);
  const [sync] = useLoad(adminApi.sync, []);
  const [users, reloadUsers] = useLoad(adminApi.users, []);
  const [tokens, reloadTokens] = useLoad(adminApi.tokens, []);
  const [audit] = useLoad(() => adminApi.audit(AUDIT_ROWS), []);
  return (
    <div class="admin-grid">
      <Panel title="Sources" load={sources}>
        {(list: SourceHealth[]) => <SourcesTable list={list} />}
      </Panel>
      <Panel title="Model" load={model}>
        {(m: ModelInfo) => (
          <dl class="kv">
            <dt>Procedure</dt>
            <dd>{m.procedure ?? 'no model loaded'}</dd>
            <dt>Version</dt>
            <dd data-testid="model-version">{m.version ?? '—'}</dd>
            {m.backend && (
              <>
                <dt>Backend</dt>
                <dd>{m.backend}</dd>
              </>
            )}
            <dt>Phases</dt>
            <dd>{m.phases.map((p) => p.displayName).join(' → ')}</dd>
          </dl>
        )}
      </Panel>
      <Panel title="Sync" load={sync}>
        {(s: Record<string, unknown> | null) =>
          s === null ? (
            <p class="notice">Sync is not part of this daemon's API yet.</p>
          ) : (
            <dl class="kv">
              {Object.entries(s).map(([k, v]) => (
                <Fragment key={k}>
                  <dt>{k}</dt>
                  <dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
                </Fragment>
              ))}
            </dl>
          )
        }
      </Panel>
      <Panel title="Users" load={users}>
        {(list: UserRow[]) => <UsersPanel list={list} onChanged={reloadUsers} />}
      </Panel>
      <Panel title="Display tokens" load={tokens}>
        {(list: DisplayTokenRow[]) => <TokensPanel list={list} onChanged={reloadTokens} />}
      </Panel>
      <Panel title="Audit log" load={audit}>
        {(list: AuditRow[]) => {
          // Entries name users by id; show the name where this page knows it.
          const names = new Map(users.state === 'ok' ? users.data.map((u) => [u.id, u.username]) : []);
          return (
            <table data-testid="audit-table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                </tr>
              </thead>
              <tbody>
                {list.map((a) => (
                  <tr key={a.seq}>
                    <td>{formatDateTime(a.atMs)}</td>
                    <td>{names.get(a.actor) ?? a.actor}</td>
                    <td>{a.action}</td>
                    <td>{a.target ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          );
        }}
      </Panel>
    </div>
  );
}

function UsersPanel({ list, onChanged }: { list: UserRow[]; onChanged: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const run = async (what: () => Promise<unknown>) => {
    try {
      await what();
      setError(null);
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const create = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const f = new FormData(form);
    void run(async () => {
      await adminApi.createUser(String(f.get('username')), String(f.get('password')), String(f.get('role')));
      form.reset();
    });
  };
  return (
    <>
      <table>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Role</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {list.map((u) => (
            <tr key={u.id}>
              <td>{u.username}</td>
              <td>{u.role}</td>
              <td>
                {u.disabled ? 'disabled ' : 'active '}
                <button
                  type="button"
                  class="small"
                  onClick={() => void run(() => adminApi.setUserDisabled(u.id, !u.disabled))}
                  aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.username}`}
                >
                  {u.disabled ? 'Enable' : 'Disable'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="row" onSubmit={create} aria-label="Add a user">
        <label>
          User name
          <input name="username" required maxLength={64} autocomplete="off" />
        </label>
        <label>
          Password
          <input name="password" type="password" required autocomplete="new-password" />
        </label>
        <label>
          Role
          <select name="role">
            <option value="clinician">clinician</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" class="primary">
          Add user
        </button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

function SourcesTable({ list }: { list: SourceHealth[] }) {
  if (list.length === 0) return <p class="notice">No sources configured.</p>;
  return (
    <table data-testid="sources-table">
      <thead>
        <tr>
          <th scope="col">Source</th>
          <th scope="col">State</th>
          <th scope="col" class="num">
            fps
          </th>
          <th scope="col" class="num">
            Dropped
          </th>
          <th scope="col" class="num">
            Restarts
          </th>
          <th scope="col">Recording</th>
        </tr>
      </thead>
      <tbody>
        {list.map((s) => {
          const ok = s.state === 'live';
          return (
            <tr key={s.name}>
              <td>
                {s.name}
                {s.role ? ` (${s.role})` : ''}
              </td>
              <td>
                <span class={`badge ${ok ? 'ok' : 'bad'}`}>
                  {ok ? '● ' : '▲ '}
                  {s.state}
                </span>
                {s.lastError ? ` ${s.lastError}` : ''}
              </td>
              <td class="num">{s.fpsIn?.toFixed(1) ?? '—'}</td>
              <td class="num">{s.framesDropped ?? '—'}</td>
              <td class="num">{s.restarts ?? '—'}</td>
              <td>{s.recording ? 'yes' : 'no'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function TokensPanel({ list, onChanged }: { list: DisplayTokenRow[]; onChanged: () => void }) {
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await adminApi.createToken(name.trim());
      setCreated(`${location.origin}/display#token=${encodeURIComponent(r.token)}`);
      setName('');
      setError(null);
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const revoke = async (id: string) => {
    try {
      await adminApi.revokeToken(id);
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <>
      <form class="row" onSubmit={create}>
        <label>
          Screen name
          <input value={name} required maxLength={64} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary">
          Pair a display
        </button>
      </form>
      {created && (
        <p class="notice">
          Open this link once on the wall screen (it is shown only now):{' '}
          <code data-testid="pairing-link">{created}</code>
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">Screen</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {list.map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td>{formatDateTime(t.createdAtMs)}</td>
              <td>{t.lastUsedAtMs ? formatDateTime(t.lastUsedAtMs) : '—'}</td>
              <td>
                {t.revoked ? (
                  'revoked'
                ) : (
                  <button type="button" class="danger small" onClick={() => void revoke(t.id)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
