import { useState } from 'preact/hooks';
import { ApiError } from '../shared/api.js';
import { reviewApi, type User } from './review-api.js';

export function Login({ onLogin, error }: { onLogin: (user: User) => void; error?: string }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>(error);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setMessage(undefined);
    try {
      onLogin(await reviewApi.login(username, password));
    } catch (err) {
      setMessage(
        err instanceof ApiError && err.status === 401
          ? 'Wrong user name or password.'
          : err instanceof ApiError && err.status === 429
            ? 'Too many attempts. Wait a minute and try again.'
            : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login panel">
      <h1>orsight — sign in</h1>
      <form onSubmit={submit} aria-describedby={message ? 'login-error' : undefined}>
        <label>
          User name
          <input
            name="username"
            autocomplete="username"
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {message && (
          <p id="login-error" class="error" role="alert">
            {message}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
