import { api } from '../shared/api.js';

/** The admin page's REST calls and the shapes it shows. */

export interface SourceHealth {
  name: string;
  role?: string;
  state: string;
  fpsIn?: number;
  framesDropped?: number;
  restarts?: number;
  recording?: boolean;
  lastError?: string;
}

export interface ModelInfo {
  procedure: string | null;
  version: string | null;
  backend: string | null;
  phases: Array<{ id: string; displayName: string; color: string }>;
}

export interface UserRow {
  id: string;
  username: string;
  role: string;
  disabled?: boolean;
}

export interface DisplayTokenRow {
  id: string;
  name: string;
  createdBy: string;
  createdAtMs: number;
  lastUsedAtMs: number | null;
  revoked: boolean;
}

export interface AuditRow {
  seq: number;
  atMs: number;
  actor: string;
  action: string;
  target: string | null;
}

export const adminApi = {
  sources: () => api<{ items: SourceHealth[] }>('/api/sources').then((r) => r.items),
  model: () => api<ModelInfo>('/api/model'),
  /** Sync state, when this daemon's API offers it (the OpenAPI document says so). */
  sync: async (): Promise<Record<string, unknown> | null> => {
    const doc = await api<{ paths?: Record<string, unknown> }>('/docs/json');
    return doc.paths?.['/api/sync/status'] ? api<Record<string, unknown>>('/api/sync/status') : null;
  },
  users: () => api<{ items: UserRow[] }>('/api/users').then((r) => r.items),
  createUser: (username: string, password: string, role: string) =>
    api<UserRow>('/api/users', { method: 'POST', body: { username, password, role } }),
  setUserDisabled: (id: string, disabled: boolean) =>
    api<UserRow>(`/api/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: { disabled } }),
  tokens: () => api<{ items: DisplayTokenRow[] }>('/api/displays').then((r) => r.items),
  createToken: (name: string) =>
    api<{ display: DisplayTokenRow; token: string }>('/api/displays', { method: 'POST', body: { name } }),
  revokeToken: (id: string) => api<unknown>(`/api/displays/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  audit: (limit: number) =>
    api<{ items: AuditRow[] }>('/api/audit', { query: { limit } }).then((r) => r.items),
};
