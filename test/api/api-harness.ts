import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { type Config, loadConfig } from '../../config/index.js';
import { EventBus } from '../../daemon/bus.js';
import { CasesPart, type CasesServices, type RecordingControl } from '../../daemon/cases/index.js';
import { StorePart } from '../../daemon/store/index.js';
import { syncStatusRoutes } from '../../sync/index.js';
import { type ApiRouteGroup, apiPlugin } from '../../ui/api/index.js';
import { Accounts } from '../../ui/auth/index.js';
import { HttpPart } from '../../ui/index.js';

export interface Harness {
  config: Readonly<Config>;
  bus: EventBus;
  http: HttpPart;
  app: FastifyInstance;
  services: CasesServices;
  accounts: Accounts;
  /** Bearer tokens per principal kind. */
  tokens: { admin: string; clinician: string; displayUser: string; displayToken: string };
  ids: { admin: string; clinician: string; displayUser: string; display: string };
  recordingsDir: string;
  /** Stops everything (http, cases, store) in reverse order. */
  close(): Promise<void>;
}

/**
 * The real store, case engine and fastify server (real SQLite file, real routes), as the
 * daemon wires them, plus one user per role and a paired display. `listen` binds a port.
 */
export async function startHarness(
  dataDir: string,
  opts: {
    overrides?: Record<string, unknown>;
    listen?: boolean;
    recorder?: RecordingControl;
    routes?: ApiRouteGroup[];
  } = {},
): Promise<Harness> {
  const config = loadConfig({
    overrides: {
      storage: { data_dir: dataDir, synchronous: 'NORMAL' },
      http: { port: 0 },
      auth: { scrypt_cost: 1024 },
      log: { level: 'warn' },
      ...opts.overrides,
    },
  });
  const log = pino({ level: process.env.ORSIGHT_TEST_LOG ?? 'silent' });
  const recordingsDir = join(dataDir, 'recordings');
  mkdirSync(recordingsDir, { recursive: true });
  const storePart = new StorePart(config, log);
  await storePart.start();
  const bus = new EventBus(log);
  const cases = new CasesPart({
    config,
    store: () => storePart.store,
    bus,
    log,
    recorder: opts.recorder ? () => opts.recorder : undefined,
  });
  await cases.start();
  const http = new HttpPart({
    config,
    log,
    readiness: () => ({ ok: true, parts: {} }),
    plugins: [
      apiPlugin({
        config,
        services: () => cases.services,
        // The daemon's other route groups, as daemon/daemon.ts wires them.
        routes: opts.routes ?? [
          syncStatusRoutes(
            () => storePart.store,
            () => ({ state: 'disabled', inFlight: 0, uploading: null }),
          ),
        ],
      }),
    ],
  });
  const app = await http.build();
  if (opts.listen) await http.start();
  const accounts = new Accounts(storePart.store, {
    scryptCost: 1024,
    passwordMinChars: config.auth.password_min_chars,
    sessionTtlMs: 3_600_000,
  });
  const mk = async (name: string, role: 'admin' | 'clinician' | 'display') => {
    const u = accounts.findUser(name) ?? (await accounts.createUser(name, `${name}-password-1`, role));
    return { id: u.id, token: accounts.createSession(u.id).token };
  };
  const admin = await mk('alice', 'admin');
  const clinician = await mk('carol', 'clinician');
  const displayUser = await mk('dora', 'display');
  const pair = accounts.pairDisplay('or-1-wall', admin.id);
  return {
    config,
    bus,
    http,
    app,
    services: cases.services,
    accounts,
    recordingsDir,
    tokens: {
      admin: admin.token,
      clinician: clinician.token,
      displayUser: displayUser.token,
      displayToken: pair.token,
    },
    ids: { admin: admin.id, clinician: clinician.id, displayUser: displayUser.id, display: pair.display.id },
    close: async () => {
      await http.stop();
      await cases.stop();
      await storePart.stop();
    },
  };
}

export const bearer = (token: string | null | undefined): Record<string, string> =>
  token ? { authorization: `Bearer ${token}` } : {};

/** app.inject with a bearer token (none: anonymous). */
export function call(
  h: Harness,
  req: { method: string; url: string; payload?: unknown; headers?: Record<string, string> },
  token?: string,
): Promise<LightMyRequestResponse> {
  return h.app.inject({ ...req, headers: { ...req.headers, ...bearer(token) } } as InjectOptions);
}
