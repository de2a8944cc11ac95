import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.js';
import type { Actor, CasesServices } from '../../daemon/cases/index.js';
import type { Accounts, LoginLimiter } from '../auth/index.js';
import { ApiError } from './errors.js';

/** What the route groups share. Built once when the API plugin registers. */
export interface ApiContext {
  services: () => CasesServices;
  accounts: Accounts;
  limiter: LoginLimiter;
  config: Readonly<Config>;
  /** <data_dir>/recordings, absolute. */
  recordingsDir: string;
  startedAtMs: number;
  version: string;
}

/** The signed-in caller (the access hook has already refused anonymous callers where needed). */
export function actorOf(req: FastifyRequest): Actor {
  const p = req.principal;
  if (!p) throw new ApiError('UNAUTHENTICATED', 'sign in first');
  return p.kind === 'user'
    ? { kind: 'user', id: p.id, username: p.username, role: p.role }
    : { kind: 'display', id: p.id, name: p.name };
}

/** Appends an audit entry for a read (views and downloads); writes audit inside their transaction. */
export function auditRead(
  ctx: ApiContext,
  req: FastifyRequest,
  action: string,
  target: string | null,
  detail?: Record<string, unknown>,
): void {
  ctx.services().audit.append({ actor: actorOf(req), action, target, ip: req.ip, detail });
}
