import { cpSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { HttpPart } from '../../ui/http-part.js';
import { PAGE_ROUTES, staticPlugin } from '../../ui/static.js';
import { buildWebApp, type WebManifest } from '../../ui/web/build.js';
import { tempDir } from '../helpers/tmp.js';

const log = pino({ level: 'silent' });

async function server(distDir: string): Promise<FastifyInstance> {
  const config = loadConfig({ env: {}, overrides: { http: { port: 0 } } });
  const part = new HttpPart({
    config,
    log,
    readiness: () => ({ ok: true, parts: {} }),
    plugins: [staticPlugin({ distDir })],
  });
  return part.build();
}

describe('web app build and static serving', () => {
  const dir = tempDir('orsight-web-');
  const distDir = join(dir, 'dist');
  let app: FastifyInstance;
  let manifest: WebManifest;

  beforeAll(async () => {
    const r = await buildWebApp({ outDir: distDir });
    expect(r.rebuilt).toBe(true);
    manifest = r.manifest;
    app = await server(distDir);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('rebuilds only when an input changed', async () => {
    const again = await buildWebApp({ outDir: distDir });
    expect(again.rebuilt).toBe(false);
    // Touching a source changes the fingerprint; the copy keeps the repo's tree untouched.
    const copy = join(dir, 'dist-copy');
    cpSync(distDir, copy, { recursive: true });
    const src = join(import.meta.dirname, '..', '..', 'ui', 'web', 'shared', 'format.ts');
    const now = new Date();
    const before = await buildWebApp({ outDir: copy });
    expect(before.rebuilt).toBe(false);
    utimesSync(src, now, now);
    const after = await buildWebApp({ outDir: copy });
    expect(after.rebuilt).toBe(true);
  });

  it('serves every page as HTML with no inline script or style, under a strict CSP', async () => {
    for (const [path, file] of Object.entries(PAGE_ROUTES)) {
      const res = await app.inject({ url: path });
      expect(res.statusCode, path).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.body).toBe(readFileSync(join(distDir, file), 'utf8'));
      const scripts = [...res.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attrs, body] of scripts) {
        expect(attrs).toMatch(/src="\/assets\//);
        expect(body).toBe('');
      }
      expect(res.body).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
      expect(res.body).not.toMatch(/https?:\/\//);
    }
  });

  it('redirects a page with a trailing slash to the page, keeping the query', async () => {
    const res = await app.inject({ url: '/review/?case=abc' });
    expect(res.statusCode).toBe(308);
    expect(res.headers.location).toBe('/review?case=abc');
  });

  it('serves hashed assets as immutable, gzip-compressed on request', async () => {
    const js = manifest.display.js[0]!;
    const plain = await app.inject({ url: js });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toMatch(/javascript/);
    expect(plain.headers['cache-control']).toMatch(/max-age=31536000/);
    expect(plain.headers['cache-control']).toMatch(/immutable/);
    const gz = await app.inject({ url: js, headers: { 'accept-encoding': 'gzip' } });
    expect(gz.statusCode).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(plain.body);
    const css = await app.inject({ url: manifest.display.css[0]! });
    expect(css.headers['content-type']).toMatch(/text\/css/);
  });

  it('serves nothing outside the assets folder', async () => {
    for (const url of [
      '/assets/../manifest.json',
      '/assets/%2e%2e/manifest.json',
      '/assets/..%2fmanifest.json',
      '/assets/.build-stamp',
      '/assets/nope.js',
      '/manifest.json',
    ]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain('"display"');
    }
  });

  it('says how to build the app when it is missing', async () => {
    const empty = await server(join(dir, 'missing'));
    const res = await empty.inject({ url: '/display' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('ui/web/build.ts');
    await empty.close();
  });
});
