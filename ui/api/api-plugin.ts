import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/index.js';
import { actorId, type CasesServices } from '../../daemon/cases/index.js';
import { ROOT } from '../../daemon/paths.js';
import { Accounts, checkAccess, LoginLimiter } from '../auth/index.js';
import type { RoutePlugin } from '../http-part.js';
import { LiveHub, liveRoute } from '../live/index.js';
import type { ApiContext } from './context.js';
import { apiErrorHandler, ErrorBodySchema, sendError } from './errors.js';
import { exportRoutes } from './export.js';
import { adminRoutes } from './routes/admin-routes.js';
import { authRoutes } from './routes/auth-routes.js';
import { caseRoutes } from './routes/case-routes.js';
import { infoRoutes } from './routes/info-routes.js';
import { mediaRoutes } from './routes/media-routes.js';
import { timelineRoutes } from './routes/timeline-routes.js';
import { Empty } from './schemas.js';
import { apiValidatorCompiler } from './validator.js';

export interface ApiPluginOptions {
  config: Readonly<Config>;
  /** The case part's services (available once it has started, before http starts). */
  services: () => CasesServices;
  /**
   * Route groups other parts add under /api (e.g. sync status). They get the same access
   * check (`config.access` on each route; none means admin-only), strict validation, error
   * body, audit of denials and OpenAPI entry as the API's own routes.
   */
  routes?: ApiRouteGroup[];
}

/** Registers routes on the /api scope (paths relative to /api). */
export type ApiRouteGroup = (api: FastifyInstance, ctx: ApiContext) => void | Promise<void>;

export const OPENAPI_INFO = {
  title: 'orsight API',
  description:
    'REST API and live channel of the orsight operating-room appliance. Authenticate with the ' +
    'session cookie set by POST /api/auth/login, or `Authorization: Bearer <token>`. Roles nest: ' +
    'display ⊂ clinician ⊂ admin. Every error has the ErrorBody shape. The live channel is a ' +
    'WebSocket at GET /api/live (display and up; `?token=` for display tokens): a snapshot on ' +
    'connect, then deltas and heartbeats, each with serverTimeMs (see ui/live-types.ts).',
};

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/**
 * The API: /api/* (REST and the /api/live WebSocket) and the OpenAPI document at /docs/json
 * with a readable /docs. Every route declares who may call it (`config.access`, checked on
 * request before the body is read) and a schema for everything it accepts.
 */
export function apiPlugin(options: ApiPluginOptions): RoutePlugin {
  return async (app: FastifyInstance) => {
    const { config } = options;
    const services = options.services();
    const ctx: ApiContext = {
      services: options.services,
      accounts: new Accounts(services.store, {
        scryptCost: config.auth.scrypt_cost,
        passwordMinChars: config.auth.password_min_chars,
        sessionTtlMs: config.auth.session_ttl_h * 3_600_000,
      }),
      limiter: new LoginLimiter(config.auth.login_attempts_per_min),
      config,
      recordingsDir: resolve(config.storage.data_dir, 'recordings'),
      startedAtMs: Date.now(),
      version: packageVersion(),
    };
    const hub = new LiveHub({
      live: services.live,
      log: app.log.child({ module: 'live' }),
      heartbeatIntervalMs: config.cases.heartbeat_interval_ms,
      maxClients: config.cases.live_max_clients,
      sendBufferBytes: config.cases.live_send_buffer_bytes,
    });
    hub.start();
    app.addHook('onClose', async () => hub.stop());

    await app.register(cookie);
    app.addSchema(ErrorBodySchema);
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: { ...OPENAPI_INFO, version: ctx.version },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer' },
            cookie: { type: 'apiKey', in: 'cookie', name: 'orsight_session' },
          },
        },
        security: [{ bearer: [] }, { cookie: [] }],
      },
      // Shared schemas keep their $id as the component name (ErrorBody).
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) =>
          typeof json.$id === 'string' ? json.$id : `def-${i}`,
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

    await app.register(
      async (api) => {
        api.setValidatorCompiler(apiValidatorCompiler);
        // A route that takes no query parameters refuses any (a typo is an error, not ignored).
        api.addHook('onRoute', (route) => {
          route.schema ??= {};
          route.schema.querystring ??= Empty;
        });
        api.setErrorHandler(apiErrorHandler);
        api.setNotFoundHandler((req, reply) =>
          sendError(reply, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`),
        );
        api.addHook('onRequest', async (req, reply) => {
          if (req.is404) return;
          // Deny by default: a route without an access level is admin-only.
          const access = req.routeOptions.config.access ?? 'admin';
          const denied = checkAccess(ctx.accounts, req, access);
          if (!denied) return;
          // Media routes audit every request themselves (onResponse), denials included. A
          // signed-out page asking "who am I" (display-level routes) is routine, not an event.
          const routine = denied.statusCode === 401 && access === 'display';
          if (!req.routeOptions.config.mediaAudit && !routine) {
            ctx.services().audit.append({
              actor: req.principal ? actorId(req.principal) : 'anonymous',
              action: 'access.denied',
              ip: req.ip,
              detail: { method: req.method, route: req.routeOptions.url, status: denied.statusCode },
            });
          }
          return sendError(reply, denied.code, denied.message);
        });
        authRoutes(api, ctx);
        caseRoutes(api, ctx);
        timelineRoutes(api, ctx);
        mediaRoutes(api, ctx);
        exportRoutes(api, ctx);
        infoRoutes(api, ctx);
        adminRoutes(api, ctx);
        liveRoute(api, hub);
        for (const group of options.routes ?? []) await group(api, ctx);
      },
      { prefix: '/api' },
    );
  };
}
