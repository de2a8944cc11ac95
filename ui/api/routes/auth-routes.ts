import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SESSION_COOKIE } from '../../auth/index.js';
import type { ApiContext } from '../context.js';
import { actorOf } from '../context.js';
import { ApiError, ErrorBody } from '../errors.js';
import { DisplayLoginBody, Empty, LoginBody, LoginReply, MeView } from '../schemas.js';

const tags = ['auth'];

export function authRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const secure = ctx.config.auth.cookie_secure || Boolean(ctx.config.http.tls_cert_file);
  const setCookie = (reply: FastifyReply, token: string, maxAgeS: number) =>
    reply.setCookie(SESSION_COOKIE, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure,
      maxAge: maxAgeS,
    });

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Sign in; sets the session cookie and returns a bearer token',
        body: LoginBody,
        response: { 200: LoginReply, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody },
      },
    },
    async (req, reply) => {
      const audit = ctx.services().audit;
      const retryMs = ctx.limiter.retryAfterMs(req.ip);
      if (retryMs > 0) {
        audit.append({
          actor: 'anonymous',
          action: 'login.refused',
          ip: req.ip,
          detail: { reason: 'rate_limited' },
        });
        reply.header('retry-after', String(Math.ceil(retryMs / 1000)));
        throw new ApiError(
          'LOGIN_RATE_LIMITED',
          `too many failed logins; try again in ${Math.ceil(retryMs / 1000)} s`,
        );
      }
      const user = await ctx.accounts.verifyLogin(req.body.username, req.body.password);
      if (!user) {
        ctx.limiter.fail(req.ip);
        // The user name is not PHI, but may be a mistyped password: record only whether it exists.
        const known = ctx.accounts.findUser(req.body.username);
        audit.append({
          actor: known ? known.id : 'anonymous',
          action: 'login.fail',
          ip: req.ip,
          detail: { knownUser: Boolean(known) },
        });
        throw new ApiError('LOGIN_FAILED', 'wrong user name or password, or the account is disabled');
      }
      const session = ctx.accounts.createSession(user.id);
      audit.append({ actor: user.id, action: 'login.ok', ip: req.ip });
      setCookie(reply, session.token, Math.floor(ctx.config.auth.session_ttl_h * 3600));
      return {
        user: { id: user.id, username: user.username, role: user.role },
        token: session.token,
        expiresAtMs: session.expiresAtMs,
      };
    },
  );

  app.post<{ Body: Static<typeof DisplayLoginBody> }>(
    '/auth/display',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Exchange a display pairing token for a display cookie',
        body: DisplayLoginBody,
        response: { 200: MeView, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (req, reply) => {
      const p = ctx.accounts.principal(req.body.token);
      if (p?.kind !== 'display')
        throw new ApiError(
          'LOGIN_FAILED',
          'this display token is unknown or revoked; pair the display again',
        );
      ctx.services().audit.append({ actor: `display:${p.id}`, action: 'display.login', ip: req.ip });
      setCookie(reply, req.body.token, 10 * 365 * 24 * 3600);
      return { user: null, display: { id: p.id, name: p.name }, role: 'display' };
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { access: 'display' },
      schema: { tags, summary: 'Sign out (revokes the session)', response: { 204: Empty, 401: ErrorBody } },
    },
    async (req, reply) => {
      const token = req.headers.authorization?.startsWith('Bearer ')
        ? req.headers.authorization.slice(7).trim()
        : req.cookies[SESSION_COOKIE];
      if (token && req.principal?.kind === 'user') ctx.accounts.revokeSession(token);
      ctx.services().audit.append({ actor: actorOf(req), action: 'logout', ip: req.ip });
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );

  app.get(
    '/auth/me',
    {
      config: { access: 'display' },
      schema: { tags, summary: 'Who am I', response: { 200: MeView, 401: ErrorBody } },
    },
    async (req) => {
      const p = req.principal!;
      return p.kind === 'user'
        ? { user: { id: p.id, username: p.username, role: p.role }, display: null, role: p.role }
        : { user: null, display: { id: p.id, name: p.name }, role: 'display' as const };
    },
  );
}
