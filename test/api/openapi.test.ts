import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_FILE, openApiText } from '../../ui/api/openapi-doc.js';
import { tempDir } from '../helpers/tmp.js';
import { type Harness, startHarness } from './api-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(tempDir());
});
afterAll(() => h?.close());

describe('OpenAPI document', () => {
  it('is committed and current (regenerate with `npx tsx ui/api/openapi-doc.ts --write`)', async () => {
    const current = await openApiText();
    expect(
      readFileSync(OPENAPI_FILE, 'utf8') === current,
      'ui/api/openapi.json is stale: run `npx tsx ui/api/openapi-doc.ts --write`',
    ).toBe(true);
  });

  it('is served at /docs/json, with a schema for every operation and the shared error body', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, unknown>; requestBody?: unknown; parameters?: unknown[] }>
      >;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.components.schemas.ErrorBody).toBeDefined();
    const ops = Object.entries(doc.paths).flatMap(([p, o]) =>
      Object.entries(o).map(([m, op]) => ({ id: `${m} ${p}`, op })),
    );
    expect(ops.length).toBeGreaterThanOrEqual(28);
    for (const { id, op } of ops) {
      expect(Object.keys(op.responses).length, id).toBeGreaterThan(1);
      if (id.startsWith('post') || id.startsWith('patch')) {
        const hasBody =
          op.requestBody !== undefined || ['post /api/auth/logout', 'post /api/cases/{id}/stop'].includes(id);
        expect(hasBody, id).toBe(true);
      }
    }
  });

  it('serves a readable /docs page', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('swagger-ui');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  });
});
