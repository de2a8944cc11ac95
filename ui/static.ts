import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RoutePlugin } from './http-part.js';
import { DIST_DIR } from './web/paths.js';

export interface StaticOptions {
  /** The built web app (ui/web/build.ts output). */
  distDir?: string;
}

/** Page paths → their HTML file in ui/dist. The pages load everything else from /assets/. */
export const PAGE_ROUTES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/display': 'display.html',
  '/review': 'review.html',
  '/admin': 'admin.html',
};

/**
 * The pages need nothing but this origin: scripts and styles are files (no inline code),
 * the live channel is a same-origin WebSocket, video is same-origin media. Set only where
 * the security-header layer of the API has not set its own.
 */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Serves the web app from ui/dist with no CDN: the HTML pages (revalidated on every load so
 * a new build shows at once) and the hashed assets (cached for a year, immutable).
 */
export function staticPlugin(options: StaticOptions = {}): RoutePlugin {
  const distDir = options.distDir ?? DIST_DIR;
  return async (app) => {
    if (!existsSync(join(distDir, 'manifest.json'))) {
      app.log.warn({ distDir }, 'web app is not built; run `npx tsx ui/web/build.ts`');
      const notBuilt = async (_req: FastifyRequest, reply: FastifyReply) =>
        reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send(
            'The orsight web app is not built. Run `npx tsx ui/web/build.ts` (the setup script does this) and reload.\n',
          );
      for (const path of Object.keys(PAGE_ROUTES)) app.get(path, notBuilt);
      app.get('/assets/*', notBuilt);
      return;
    }
    await app.register(fastifyStatic, {
      root: join(distDir, 'assets'),
      prefix: '/assets/',
      wildcard: true,
      decorateReply: true,
      index: false,
      dotfiles: 'deny',
      preCompressed: true,
      cacheControl: true,
      maxAge: '365d',
      immutable: true,
    });
    for (const [path, file] of Object.entries(PAGE_ROUTES)) {
      app.get(path, (_req, reply) => {
        reply.header('cache-control', 'no-cache');
        if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', PAGE_CSP);
        if (!reply.hasHeader('x-content-type-options')) reply.header('x-content-type-options', 'nosniff');
        if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'no-referrer');
        return reply.sendFile(file, distDir, { cacheControl: false });
      });
      // "/review/" as typed or bookmarked: the page lives at "/review" (its links are relative to it).
      if (path !== '/') {
        app.get(`${path}/`, (req, reply) => {
          const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
          return reply.redirect(`${path}${query}`, 308);
        });
      }
    }
  };
}
