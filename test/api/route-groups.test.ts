import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { call, type Harness, startHarness } from './api-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(tempDir(), {
    routes: [
      (api) => {
        // No access level: admin-only by default.
        api.get(
          '/extra/secret',
          { schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } } },
          async () => ({ ok: true }),
        );
        api.get(
          '/extra/status',
          {
            config: { access: 'display' },
            schema: { response: { 200: Type.Object({ n: Type.Integer() }) } },
          },
          async () => ({ n: 1 }),
        );
      },
    ],
  });
});
afterAll(() => h?.close());

describe('route groups from other parts', () => {
  it('get the API’s access check (deny by default), strict query strings and an OpenAPI entry', async () => {
    expect((await call(h, { method: 'GET', url: '/api/extra/secret' }, h.tokens.clinician)).statusCode).toBe(
      403,
    );
    expect((await call(h, { method: 'GET', url: '/api/extra/secret' }, h.tokens.admin)).json()).toEqual({
      ok: true,
    });
    expect((await call(h, { method: 'GET', url: '/api/extra/status' })).statusCode).toBe(401);
    expect(
      (await call(h, { method: 'GET', url: '/api/extra/status' }, h.tokens.displayToken)).json(),
    ).toEqual({ n: 1 });
    const bad = await call(h, { method: 'GET', url: '/api/extra/status?x=1' }, h.tokens.displayToken);
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/extra/secret', '/api/extra/status']),
    );
  });
});
