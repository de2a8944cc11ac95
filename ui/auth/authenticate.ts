import type {} from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import type { Accounts, Principal } from './accounts.js';
import { type Access, allows } from './roles.js';

export const SESSION_COOKIE = 'orsight_session';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call the route (checked before the handler). */
    access?: Access;
    /** Media routes: the audit action every request to the route leaves, whatever its outcome. */
    mediaAudit?: string;
  }
}

/** The bearer token of a request: Authorization header, then the session cookie, then ?token= (WebSocket). */
export function tokenOf(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const cookie = req.cookies?.[SESSION_COOKIE];
  if (cookie) return cookie;
  if (req.url.startsWith('/api/live')) {
    const q = req.query as Record<string, unknown> | undefined;
    if (typeof q?.token === 'string') return q.token;
  }
  return undefined;
}

export interface AccessDenied {
  statusCode: 401 | 403;
  code: 'UNAUTHENTICATED' | 'FORBIDDEN';
  message: string;
}

/** Resolves the caller and checks the route's access level; the API turns a denial into its error body. */
export function checkAccess(
  accounts: Accounts,
  req: FastifyRequest,
  access: Access,
): AccessDenied | undefined {
  const token = tokenOf(req);
  req.principal = token ? accounts.principal(token) : undefined;
  if (allows(req.principal?.role, access)) return undefined;
  if (!req.principal) {
    return {
      statusCode: 401,
      code: 'UNAUTHENTICATED',
      message: 'sign in first (POST /api/auth/login) or send a valid bearer token',
    };
  }
  return { statusCode: 403, code: 'FORBIDDEN', message: `this needs the ${access} role` };
}
