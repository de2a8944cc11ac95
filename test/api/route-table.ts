import type { Access } from '../../ui/auth/index.js';
import type { Harness } from './api-harness.js';
import type { Seeded } from './seed.js';

export interface Req {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  payload?: unknown;
  headers?: Record<string, string>;
}

export interface RouteSpec {
  /** METHOD and the route as fastify / OpenAPI name it. */
  route: string;
  access: Access;
  /** Status of a valid request by an allowed caller. */
  ok: number;
  /** A fresh valid request (called once per use: some create what they then change). */
  valid(h: Harness, s: Seeded): Req;
  /** A body of the right shape but a wrong type somewhere. */
  wrongType?: unknown;
  /** The same route with an id that does not exist, and the code it must answer. */
  unknownId?: (s: Seeded) => { url: string; code: string };
}

const ZERO = '00000000-0000-0000-0000-000000000000';

/** Every route of the API, with a valid request each. The role matrix and the route tests use it. */
export function routeTable(): RouteSpec[] {
  const c = (s: Seeded) => `/api/cases/${s.caseId}`;
  return [
    {
      route: 'POST /api/auth/login',
      access: 'public',
      ok: 200,
      valid: () => ({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'carol', password: 'carol-password-1' },
      }),
      wrongType: { username: 'carol', password: 12345678901 },
    },
    {
      route: 'POST /api/auth/display',
      access: 'public',
      ok: 200,
      valid: (h) => ({ method: 'POST', url: '/api/auth/display', payload: { token: h.tokens.displayToken } }),
      wrongType: { token: ['x'] },
    },
    {
      route: 'POST /api/auth/logout',
      access: 'display',
      ok: 204,
      valid: () => ({ method: 'POST', url: '/api/auth/logout' }),
    },
    {
      route: 'GET /api/auth/me',
      access: 'display',
      ok: 200,
      valid: () => ({ method: 'GET', url: '/api/auth/me' }),
    },
    {
      route: 'GET /api/sources',
      access: 'display',
      ok: 200,
      valid: () => ({ method: 'GET', url: '/api/sources' }),
    },
    {
      route: 'GET /api/model',
      access: 'display',
      ok: 200,
      valid: () => ({ method: 'GET', url: '/api/model' }),
    },
    {
      route: 'GET /api/sync/status',
      access: 'admin',
      ok: 200,
      valid: () => ({ method: 'GET', url: '/api/sync/status' }),
    },
    {
      route: 'GET /api/cases',
      access: 'clinician',
      ok: 200,
      valid: () => ({ method: 'GET', url: '/api/cases?limit=10&offset=0&procedure=lap_chole' }),
    },
    {
      route: 'POST /api/cases',
      access: 'admin',
      ok: 201,
      valid: (h) => {
        const open = h.services.engine.currentCase;
        if (open) h.services.engine.stopCase({ kind: 'system' }, open.id);
        return {
          method: 'POST',
          url: '/api/cases',
          payload: { procedure: 'lap_chole', label: 'new case', surgeonId: 's-2' },
        };
      },
      wrongType: { procedure: 7 },
    },
    {
      route: 'GET /api/cases/:id',
      access: 'clinician',
      ok: 200,
      valid: (_h, s) => ({ method: 'GET', url: c(s) }),
      unknownId: () => ({ url: `/api/cases/${ZERO}`, code: 'CASE_NOT_FOUND' }),
    },
    {
      route: 'PATCH /api/cases/:id',
      access: 'clinician',
      ok: 200,
      valid: (_h, s) => ({ method: 'PATCH', url: c(s), payload: { surgeonId: 's-1' } }),
      wrongType: { surgeonId: 42 },
      unknownId: () => ({ url: `/api/cases/${ZERO}`, code: 'CASE_NOT_FOUND' }),
    },
    {
      route: 'POST /api/cases/:id/stop',
      access: 'admin',
      ok: 200,
      valid: (h) => {
        const open = h.services.engine.currentCase ?? h.services.engine.startCase({ kind: 'system' }, {});
        return { method: 'POST', url: `/api/cases/${open.id}/stop` };
      },
      unknownId: () => ({ url: `/api/cases/${ZERO}/stop`, code: 'CASE_NOT_FOUND' }),
    },
    {
      route: 'GET /api/cases/:id/stats',
      access: 'clinician',
      ok: 200,
      valid: (_h, s) => ({ method: 'GET', url: `${c(s)}/stats` }),
      unknownId: () => ({ url: `/api/cases/${ZERO}/stats`, code: 'CASE_NOT_FOUND' }),
    },
    {
      route: 'GET /api/stats',
      access: 'clinician',
      ok: 200,
      valid: () => ({ method: 'GET', url: '/api/stats?procedure=lap_chole' }),
    },
    {
      route: 'GET /api/search',
      access: 'clinician',
      ok: 200,
      valid: () => ({ method: 'GET', url: '/api/search?q=calot' }),
    },
    {
      route: 'POST /api/cases/:id/bookmarks',
      access: 'clinician',
      ok: 201,
      valid: (h, s) => ({
        method: 'POST',
        url: `${c(s)}/bookmarks`,
        payload: { note: 'again', atMs: h.services.repo.getCase(s.caseId)!.startedAtMs },
      }),
      wrongType: { note: false },
      unknownId: () => ({ url: `/api/cases/${ZERO}/bookmarks`, code: 'CASE_NOT_FOUND' }),
    },
    {
      route: 'PATCH /api/cases/:id/bookmarks/:childId',
      access: 'clinician',
      ok: 200,
      valid: (_h, s) => ({
        method: 'PATCH',
        url: `${c(s)}/bookmarks/${s.bookmarkId}`,
        payload: { note: 'edited' },
      }),
      wrongType: { note: { text: 'x' } },
      unknownId: (s) => ({ url: `${c(s)}/bookmarks/${ZERO}`, code: 'BOOKMARK_NOT_FOUND' }),
    },
    {
      route: 'DELETE /api/cases/:id/bookmarks/:childId',
      access: 'clinician',
      ok: 204,
      valid: (h, s) => {
        const b = h.services.annotations.addBookmark({ kind: 'system' }, s.caseId, {
          note: 'to delete',
          atMs: h.services.repo.getCase(s.caseId)!.startedAtMs,
        });
        return { method: 'DELETE', url: `${c(s)}/bookmarks/${b.id}` };
      },
      unknownId: (s) => ({ url: `${c(s)}/bookmarks/${ZERO}`, code: 'BOOKMARK_NOT_FOUND' }),
    },
    {
      route: 'POST /api/cases/:id/corrections',
      access: 'clinician',
      ok: 201,
      valid: (_h, s) => ({
        method: 'POST',
        url: `${c(s)}/corrections`,
        payload: { kind: 'relabel', segmentId: s.segmentIds[0], correctedPhase: 'preparation' },
      }),
      wrongType: { kind: 'relabel', segmentId: 5, correctedPhase: 'preparation' },
      unknownId: () => ({ url: `/api/cases/${ZERO}/corrections`, code: 'CASE_NOT_FOUND' }),
    },
    {
      route: 'PATCH /api/cases/:id/corrections/:childId',
      access: 'clinician',
      ok: 200,
      valid: (_h, s) => ({
        method: 'PATCH',
        url: `${c(s)}/corrections/${s.correctionId}`,
        payload: { correctedPhase: 'preparation' },
      }),
      wrongType: { correctedPhase: 3 },
      unknownId: (s) => ({ url: `${c(s)}/corrections/${ZERO}`, code: 'CORRECTION_NOT_FOUND' }),
    },
    {
      route: 'DELETE /api/cases/:id/corrections/:childId',
      access: 'clinician',
      ok: 204,
      valid: (h, s) => {
        const x = h.services.annotations.addCorrection({ kind: 'system' }, s.caseId, {
          kind: 'relabel',
          segmentId: s.segmentIds[1]!,
          phase: 'preparation',
        });
        return { method: 'DELETE', url: `${c(s)}/corrections/${x.id}` };
      },
      unknownId: (s) => ({ url: `${c(s)}/corrections/${ZERO}`, code: 'CORRECTION_NOT_FOUND' }),
    },
    {
      route: 'GET /api/cases/:id/recordings',
      access: 'clinician',
      ok: 200,
      valid: (_h, s) => ({ method: 'GET', url: `${c(s)}/recordings` }),
      unknownId: () => ({ url: `/api/cases/${ZERO}/recordings`, code: 'CASE_NOT_FOUND' }),
    },
    {
      route: 'GET /api/cases/:id/media/:source/playlist.m3u8',
      access: 'clinician',
      ok: 200,
      valid: (_h, s) => ({ method: 'GET', url: `${c(s)}/media/endoscope/playlist.m3u8` }),
      unknownId: (s) => ({ url: `${c(s)}/media/room/playlist.m3u8`, code: 'MEDIA_NOT_FOUND' }),
    },
    {
      route: 'GET /api/cases/:id/media/:source/:name',
      access: 'clinician',
      ok: 206,
      valid: (_h, s) => ({
        method: 'GET',
        url: `${c(s)}/media/endoscope/${s.chunks[0]!.name}`,
        headers: { range: 'bytes=0-99' },
      }),
      unknownId: (s) => ({ url: `${c(s)}/media/endoscope/99999.mp4`, code: 'MEDIA_NOT_FOUND' }),
    },
    {
      route: 'POST /api/cases/:id/export',
      access: 'clinician',
      ok: 200,
      valid: (_h, s) => ({
        method: 'POST',
        url: `${c(s)}/export`,
        payload: { segmentId: s.segmentIds[0], source: 'endoscope' },
      }),
      wrongType: { segmentId: 1, source: 'endoscope' },
      unknownId: () => ({ url: `/api/cases/${ZERO}/export`, code: 'CASE_NOT_FOUND' }),
    },
    {
      route: 'GET /api/cases/:id/exports/:name',
      access: 'clinician',
      ok: 200,
      valid: (_h, s) => ({ method: 'GET', url: `${c(s)}/exports/${s.exportName}` }),
      unknownId: (s) => ({ url: `${c(s)}/exports/nothing.mp4`, code: 'MEDIA_NOT_FOUND' }),
    },
    {
      route: 'GET /api/users',
      access: 'admin',
      ok: 200,
      valid: () => ({ method: 'GET', url: '/api/users' }),
    },
    {
      route: 'POST /api/users',
      access: 'admin',
      ok: 201,
      valid: () => ({
        method: 'POST',
        url: '/api/users',
        payload: {
          username: `u${Math.random().toString(36).slice(2, 10)}`,
          password: 'long-enough-pw',
          role: 'clinician',
        },
      }),
      wrongType: { username: 'x', password: 'long-enough-pw', role: 'superuser' },
    },
    {
      route: 'PATCH /api/users/:id',
      access: 'admin',
      ok: 200,
      valid: (h) => ({
        method: 'PATCH',
        url: `/api/users/${h.ids.displayUser}`,
        payload: { role: 'display' },
      }),
      wrongType: { disabled: 'yes' },
      unknownId: () => ({ url: `/api/users/${ZERO}`, code: 'USER_NOT_FOUND' }),
    },
    {
      route: 'GET /api/displays',
      access: 'admin',
      ok: 200,
      valid: () => ({ method: 'GET', url: '/api/displays' }),
    },
    {
      route: 'POST /api/displays',
      access: 'admin',
      ok: 201,
      valid: () => ({ method: 'POST', url: '/api/displays', payload: { name: 'hall' } }),
      wrongType: { name: 1 },
    },
    {
      route: 'DELETE /api/displays/:id',
      access: 'admin',
      ok: 200,
      valid: (h) => ({
        method: 'DELETE',
        url: `/api/displays/${h.accounts.pairDisplay('spare', h.ids.admin).display.id}`,
      }),
      unknownId: () => ({ url: `/api/displays/${ZERO}`, code: 'DISPLAY_NOT_FOUND' }),
    },
    {
      route: 'GET /api/audit',
      access: 'admin',
      ok: 200,
      valid: () => ({ method: 'GET', url: '/api/audit?limit=5' }),
    },
    {
      route: 'GET /api/device',
      access: 'admin',
      ok: 200,
      valid: () => ({ method: 'GET', url: '/api/device' }),
    },
    {
      route: 'GET /api/config',
      access: 'admin',
      ok: 200,
      valid: () => ({ method: 'GET', url: '/api/config' }),
    },
  ];
}
