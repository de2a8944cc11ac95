const STORAGE_KEY = 'orsight.displayToken';

/**
 * The display token this screen was paired with. Pairing opens `/display#token=…` once
 * (a fragment never reaches server logs); the token is kept in localStorage so the kiosk
 * comes back by itself after a reboot, and removed from the address bar. `?token=` works
 * too, for kiosk launchers that cannot set a fragment.
 */
export function takeDisplayToken(): string | null {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  const fromQuery = new URLSearchParams(location.search).get('token');
  const fresh = fromHash ?? fromQuery;
  if (fresh) {
    try {
      localStorage.setItem(STORAGE_KEY, fresh);
    } catch {
      // Storage may be disabled in a locked-down kiosk; the token still works for this load.
    }
    history.replaceState(null, '', location.pathname);
    return fresh;
  }
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}
