import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { allows, type Role } from '../../ui/auth/index.js';
import type { LiveMessage } from '../../ui/live-types.js';
import { tempDir } from '../helpers/tmp.js';
import { bearer, call, type Harness, startHarness } from './api-harness.js';
import { routeTable } from './route-table.js';
import { domainFingerprint, LABEL, type Seeded, seedCase, seedExport } from './seed.js';

type Who = 'anonymous' | 'display token' | 'display user' | 'clinician' | 'admin';
const WHO: Who[] = ['anonymous', 'display token', 'display user', 'clinician', 'admin'];
const roleOf: Record<Who, Role | undefined> = {
  anonymous: undefined,
  'display token': 'display',
  'display user': 'display',
  clinician: 'clinician',
  admin: 'admin',
};

let h: Harness;
let s: Seeded;

/** A fresh credential per request, so a logout in the matrix never affects the next row. */
function tokenFor(who: Who): string | undefined {
  switch (who) {
    case 'anonymous':
      return undefined;
    case 'display token':
      return h.tokens.displayToken;
    case 'display user':
      return h.accounts.createSession(h.ids.displayUser).token;
    case 'clinician':
      return h.accounts.createSession(h.ids.clinician).token;
    case 'admin':
      return h.accounts.createSession(h.ids.admin).token;
  }
}

beforeAll(async () => {
  h = await startHarness(tempDir(), { listen: true });
  s = seedCase(h);
  await seedExport(h, s);
});
afterAll(() => h?.close());

describe('role matrix: every route × every kind of caller', () => {
  for (const spec of routeTable()) {
    it(`${spec.route} (${spec.access})`, async () => {
      for (const who of WHO) {
        const allowed = allows(roleOf[who], spec.access);
        const req = spec.valid(h, s);
        const before = allowed ? '' : domainFingerprint(h);
        const res = await call(h, req, tokenFor(who));
        const where = `${spec.route} as ${who}`;
        if (allowed) {
          expect(res.statusCode, `${where}: ${res.body}`).toBe(spec.ok);
        } else {
          const expected = who === 'anonymous' ? [401, 'UNAUTHENTICATED'] : [403, 'FORBIDDEN'];
          expect([res.statusCode, res.json().code], where).toEqual(expected);
          expect(domainFingerprint(h), `${where} changed nothing`).toBe(before);
        }
        if (roleOf[who] === 'display') {
          // Display callers never see PHI or media, whatever the route.
          expect(res.body, where).not.toContain(LABEL);
          expect(res.body, where).not.toContain('"surgeonId"');
          expect(res.headers['content-type'] ?? '', where).not.toMatch(/video|mpegurl|octet-stream/);
        }
      }
    });
  }

  it('audits refused requests, except a signed-out page asking who it is', async () => {
    const before = h.services.audit.query({ limit: 1 })[0]?.seq ?? 0;
    await call(h, { method: 'GET', url: `/api/cases/${s.caseId}` }, h.tokens.displayToken);
    await call(h, { method: 'GET', url: `/api/cases/${s.caseId}` });
    await call(h, { method: 'GET', url: '/api/auth/me' });
    const denied = h.services.audit
      .query({ limit: 10, action: 'access.denied' })
      .filter((a) => a.seq > before)
      .map((a) => [a.actor, a.detail?.route, a.detail?.status]);
    expect(denied).toEqual([
      ['anonymous', '/api/cases/:id', 401],
      [`display:${h.ids.display}`, '/api/cases/:id', 403],
    ]);
  });

  it('covers every route the OpenAPI document lists', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    // The WebSocket upgrade (GET /api/live) is not an OpenAPI operation; it has its own test below.
    const tested = new Set(routeTable().map((r) => r.route));
    expect(documented.filter((r) => !tested.has(r))).toEqual([]);
    expect([...tested].filter((r) => !documented.includes(r))).toEqual([]);
  });
});

describe('role matrix: the live WebSocket', () => {
  /** Connects and resolves with the first message, or the HTTP status of a refused upgrade. */
  function connect(
    token: string | undefined,
    query = false,
  ): Promise<{ status: number; first?: LiveMessage }> {
    const url = `ws://127.0.0.1:${h.http.port}/api/live${query && token ? `?token=${token}` : ''}`;
    const ws = new WebSocket(url, { headers: query ? {} : bearer(token) });
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
      ws.once('message', (data) => {
        resolve({ status: 101, first: JSON.parse(String(data)) as LiveMessage });
        ws.close();
      });
      ws.once('error', reject);
    });
  }

  it('refuses anonymous callers and strips PHI for display callers', async () => {
    h.services.engine.currentCase ??
      h.services.engine.startCase({ kind: 'system' }, { label: LABEL, surgeonId: 's-1' });
    const open = h.services.engine.currentCase!;
    h.services.engine.updateCase({ kind: 'system' }, open.id, { label: LABEL, surgeonId: 's-1' });
    expect((await connect(undefined)).status).toBe(401);
    expect((await connect('osd_not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', true)).status).toBe(401);
    for (const who of WHO.slice(1)) {
      const r = await connect(tokenFor(who), who === 'display token');
      expect(r.status, who).toBe(101);
      expect(r.first?.type).toBe('snapshot');
      const state = r.first?.type === 'snapshot' ? r.first.state : undefined;
      expect(state?.case?.id, who).toBe(open.id);
      if (roleOf[who] === 'display') {
        expect(JSON.stringify(r.first), who).not.toContain(LABEL);
        expect(state?.case, who).not.toHaveProperty('surgeonId');
      } else {
        expect(state?.case?.label, who).toBe(LABEL);
        expect(state?.case?.surgeonId, who).toBe('s-1');
      }
    }
  });
});
