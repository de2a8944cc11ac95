import { readFileSync } from 'node:fs';
import helmet from '@fastify/helmet';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Config } from '../config/index.js';
import type { Logger } from '../daemon/log.js';
import type { Part, PartHealth } from '../daemon/part.js';

/** A group of routes another part contributes (API, live channel, web app). */
export type RoutePlugin = (app: FastifyInstance) => Promise<void> | void;

export interface HttpPartOptions {
  config: Pick<Config, 'http'>;
  log: Logger;
  /** Readiness of the whole daemon, for /readyz. */
  readiness: () => { ok: boolean; parts: Record<string, PartHealth> };
  plugins?: RoutePlugin[];
}

/**
 * The fastify server: /healthz (the process answers), /readyz (every part is up), the
 * WebSocket upgrade on the same port, and whatever routes the other parts register.
 * Shutdown (fastify's documented order): stop accepting, preClose ends WebSockets with
 * 1001 "going away", open requests drain, then onClose hooks run.
 */
export class HttpPart implements Part {
  readonly name = 'http';
  private server: FastifyInstance | undefined;
  private listening = false;

  constructor(private readonly options: HttpPartOptions) {}

  get app(): FastifyInstance {
    if (!this.server) throw new Error('http server is not started');
    return this.server;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    const addr = this.server?.server.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  /** Builds the server without listening (tests use app.inject()). */
  async build(): Promise<FastifyInstance> {
    const { config, log } = this.options;
    const http = config.http;
    const https =
      http.tls_cert_file && http.tls_key
        ? { cert: readFileSync(http.tls_cert_file), key: http.tls_key }
        : undefined;
    const app = Fastify({
      loggerInstance: log,
      // Per-request lines would put case ids and client addresses in the journal for every poll.
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit: http.body_limit_bytes,
      forceCloseConnections: true,
      return503OnClosing: true,
      pluginTimeout: 60000,
      ...(https ? { https } : {}),
    }) as unknown as FastifyInstance;
    await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
    // Security headers on every response (API, web app, docs): a same-origin-only CSP, no
    // framing, no sniffing; HSTS and upgrade-insecure-requests only when serving TLS.
    await app.register(helmet, {
      global: true,
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:', 'blob:'],
          mediaSrc: ["'self'", 'blob:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          frameAncestors: ["'none'"],
          formAction: ["'self'"],
          ...(https ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      hsts: https ? { maxAge: 31536000 } : false,
      crossOriginEmbedderPolicy: false,
    });
    app.get('/healthz', async () => ({ ok: true }));
    app.get('/readyz', async (_req, reply) => {
      const r = this.options.readiness();
      return reply.code(r.ok ? 200 : 503).send(r);
    });
    for (const plugin of this.options.plugins ?? []) await app.register(async (scope) => plugin(scope));
    this.server = app;
    return app;
  }

  async start(): Promise<void> {
    const app = this.server ?? (await this.build());
    await app.listen({ host: this.options.config.http.host, port: this.options.config.http.port });
    this.listening = true;
    this.options.log.info({ port: this.port, host: this.options.config.http.host }, 'http listening');
  }

  async stop(): Promise<void> {
    this.listening = false;
    await this.server?.close();
    this.server = undefined;
  }

  health(): PartHealth {
    return this.listening
      ? { ok: true, state: 'listening', detail: { port: this.port } }
      : { ok: false, state: 'stopped' };
  }
}
