import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../ui/api/index.js';
import { tempDir } from '../helpers/tmp.js';
import { call, type Harness, startHarness } from './api-harness.js';
import { type Req, type RouteSpec, routeTable } from './route-table.js';
import { domainFingerprint, LABEL, type Seeded, seedCase, seedExport } from './seed.js';

let h: Harness;
let s: Seeded;

beforeAll(async () => {
  h = await startHarness(tempDir());
  s = seedCase(h);
  await seedExport(h, s);
});
afterAll(() => h?.close());

/** The least privileged caller the route allows. */
function tokenFor(spec: RouteSpec): string | undefined {
  if (spec.access === 'public') return undefined;
  if (spec.access === 'display') return h.tokens.displayToken;
  return h.accounts.createSession(spec.access === 'admin' ? h.ids.admin : h.ids.clinician).token;
}

/** Sends a request that must be refused: the expected status and code, a message, nothing changed. */
async function refused(spec: RouteSpec, req: Req, status: number, code: string) {
  const before = domainFingerprint(h);
  const res = await call(h, req, tokenFor(spec));
  const body = res.json() as { statusCode: number; code: string; message: string };
  expect([res.statusCode, body.code], `${spec.route}: ${res.body}`).toEqual([status, code]);
  expect(body.statusCode).toBe(status);
  expect(body.message.length).toBeGreaterThan(5);
  expect(ERROR_CATALOGUE[body.code as keyof typeof ERROR_CATALOGUE]).toBe(status);
  expect(domainFingerprint(h), `${spec.route}: nothing changed`).toBe(before);
  return body;
}

describe('every route: success and bad input', () => {
  for (const spec of routeTable()) {
    describe(spec.route, () => {
      it('succeeds with a valid request', async () => {
        const res = await call(h, spec.valid(h, s), tokenFor(spec));
        expect(res.statusCode, res.body).toBe(spec.ok);
      });

      const writes = spec.route.startsWith('POST') || spec.route.startsWith('PATCH');
      const validReq = () => spec.valid(h, s);
      // Routes with a body are the ones with a wrong-typed example.
      if (writes && spec.wrongType !== undefined) {
        it('refuses unknown fields, wrong types, huge and malformed bodies', async () => {
          const req = validReq();
          const body = await refused(
            spec,
            { ...req, payload: { ...(req.payload as object), bogus: 1 } },
            400,
            'VALIDATION_FAILED',
          );
          expect(body.message).toContain('bogus');
          if (spec.wrongType)
            await refused(spec, { ...validReq(), payload: spec.wrongType }, 400, 'VALIDATION_FAILED');
          await refused(
            spec,
            { ...validReq(), payload: { note: 'x'.repeat(70_000) } },
            413,
            'BODY_TOO_LARGE',
          );
          await refused(
            spec,
            { ...validReq(), payload: '{"not json', headers: { 'content-type': 'application/json' } },
            400,
            'BAD_JSON',
          );
          await refused(spec, { ...validReq(), payload: [1, 2, 3] }, 400, 'VALIDATION_FAILED');
        });
      }

      if (spec.unknownId) {
        it('answers 404 with a specific code for unknown ids, 400 for malformed ones', async () => {
          const { url, code } = spec.unknownId!(s);
          const req = validReq();
          await refused(spec, { ...req, url }, 404, code);
          const malformed = req.url.replace(s.caseId, '..%2F..%2Fetc%2Fpasswd');
          if (malformed !== req.url)
            await refused(spec, { ...validReq(), url: malformed }, 400, 'VALIDATION_FAILED');
          const long = req.url.replace(s.caseId, 'a'.repeat(65));
          if (long !== req.url) await refused(spec, { ...validReq(), url: long }, 400, 'VALIDATION_FAILED');
        });
      }

      if (spec.route.startsWith('GET') && !spec.route.includes(':name')) {
        it('refuses unknown and mistyped query parameters', async () => {
          const req = validReq();
          const sep = req.url.includes('?') ? '&' : '?';
          await refused(spec, { ...req, url: `${req.url}${sep}bogus=1` }, 400, 'VALIDATION_FAILED');
        });
      }
    });
  }
});

describe('what the routes return', () => {
  const clin = () => h.accounts.createSession(h.ids.clinician).token;

  it('lists cases with filters and paging', async () => {
    const all = (await call(h, { method: 'GET', url: '/api/cases?limit=200' }, clin())).json() as {
      items: Array<{ id: string }>;
      total: number;
    };
    expect(all.total).toBeGreaterThanOrEqual(1);
    const page = (
      await call(h, { method: 'GET', url: '/api/cases?limit=1&offset=0&surgeonId=s-1' }, clin())
    ).json() as { items: Array<{ id: string; label: string }>; total: number };
    expect(page.items.map((c) => c.id)).toEqual([s.caseId]);
    expect(page.items[0]!.label).toBe(LABEL);
    const none = (
      await call(h, { method: 'GET', url: `/api/cases?fromMs=${Date.now() + 86_400_000}` }, clin())
    ).json() as { total: number };
    expect(none.total).toBe(0);
    expect((await call(h, { method: 'GET', url: '/api/cases?limit=0' }, clin())).statusCode).toBe(400);
    expect((await call(h, { method: 'GET', url: '/api/cases?limit=abc' }, clin())).statusCode).toBe(400);
  });

  it('returns a case with its corrected timeline, the model output, events, bookmarks and corrections', async () => {
    const d = (await call(h, { method: 'GET', url: `/api/cases/${s.caseId}` }, clin())).json() as {
      case: { id: string };
      segments: Array<{ phase: string; modelPhase: string; corrected: boolean }>;
      modelSegments: Array<{ phase: string }>;
      events: Array<{ type: string }>;
      bookmarks: Array<{ id: string; note: string }>;
      corrections: Array<{ id: string }>;
    };
    expect(d.case.id).toBe(s.caseId);
    expect(d.modelSegments.map((x) => x.phase)).toEqual([
      'preparation',
      'calot_triangle_dissection',
      'clipping_and_cutting',
    ]);
    expect(d.segments[2]).toMatchObject({ modelPhase: 'clipping_and_cutting', corrected: true });
    expect(d.events.map((e) => e.type)).toEqual(expect.arrayContaining(['case_started', 'case_stopped']));
    expect(d.bookmarks.map((b) => b.id)).toContain(s.bookmarkId);
    expect(d.corrections.map((c) => c.id)).toContain(s.correctionId);
    const audit = h.services.audit.query({ limit: 5, action: 'timeline.view', target: s.caseId });
    expect(audit[0]?.actor).toBe(h.ids.clinician);
  });

  it('searches and returns cases with jump-to times, and audits without the query text', async () => {
    const r = (await call(h, { method: 'GET', url: '/api/search?q=jane%20ROE' }, clin())).json() as {
      items: Array<{ caseId: string; hits: Array<{ kind: string; atMs: number }> }>;
    };
    expect(r.items.map((x) => x.caseId)).toEqual([s.caseId]);
    expect(r.items[0]!.hits.map((x) => x.kind)).toEqual(['case']);
    const entry = h.services.audit.query({ limit: 1, action: 'search' })[0]!;
    expect(JSON.stringify(entry).toLowerCase()).not.toContain('roe');
  });

  it('starts and stops a case; a second start is refused while one is open', async () => {
    const admin = h.accounts.createSession(h.ids.admin).token;
    const open = h.services.engine.currentCase;
    if (open) h.services.engine.stopCase({ kind: 'system' }, open.id);
    const started = await call(h, { method: 'POST', url: '/api/cases', payload: {} }, admin);
    expect(started.statusCode).toBe(201);
    const id = (started.json() as { id: string }).id;
    const again = await call(h, { method: 'POST', url: '/api/cases', payload: {} }, admin);
    expect([again.statusCode, again.json().code]).toEqual([409, 'CASE_ALREADY_OPEN']);
    const stop = await call(h, { method: 'POST', url: `/api/cases/${id}/stop` }, admin);
    expect([stop.statusCode, stop.json().endReason]).toEqual([200, 'manual']);
    const stopAgain = await call(h, { method: 'POST', url: `/api/cases/${id}/stop` }, admin);
    expect([stopAgain.statusCode, stopAgain.json().code]).toEqual([409, 'CASE_NOT_OPEN']);
  });

  it('refuses a correction outside the segment’s range and an unknown phase, with 422', async () => {
    const clinToken = clin();
    const move = await call(
      h,
      {
        method: 'POST',
        url: `/api/cases/${s.caseId}/corrections`,
        payload: { kind: 'move_boundary', segmentId: s.segmentIds[1], correctedAtMs: 1 },
      },
      clinToken,
    );
    expect([move.statusCode, move.json().code]).toEqual([422, 'TIME_OUT_OF_RANGE']);
    const relabel = await call(
      h,
      {
        method: 'POST',
        url: `/api/cases/${s.caseId}/corrections`,
        payload: { kind: 'relabel', segmentId: s.segmentIds[1], correctedPhase: 'dancing' },
      },
      clinToken,
    );
    expect([relabel.statusCode, relabel.json().code]).toEqual([422, 'PHASE_UNKNOWN']);
    const mixed = await call(
      h,
      {
        method: 'POST',
        url: `/api/cases/${s.caseId}/corrections`,
        payload: { kind: 'relabel', segmentId: s.segmentIds[1], correctedAtMs: 5 },
      },
      clinToken,
    );
    expect(mixed.statusCode).toBe(400);
  });

  it('answers unknown API paths with the error body', async () => {
    const res = await call(h, { method: 'GET', url: '/api/nothing-here' }, clin());
    expect([res.statusCode, res.json().code]).toEqual([404, 'NOT_FOUND']);
  });

  it('sets security headers on API responses', async () => {
    const res = await call(h, { method: 'GET', url: '/api/auth/me' }, clin());
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });
});
