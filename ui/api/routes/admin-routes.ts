import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { redact } from '../../../config/index.js';
import { type ApiContext, actorOf } from '../context.js';
import { ErrorBody } from '../errors.js';
import {
  AuditList,
  AuditQuerySchema,
  ConfigReply,
  DeviceReply,
  DisplayList,
  DisplayPairBody,
  DisplayPairReply,
  DisplayView,
  IdParams,
  UserCreateBody,
  UserList,
  UserPatchBody,
  UserView,
} from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

/** Users, paired displays, the audit log, device facts and the running config: admins only. */
export function adminRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const audit = () => ctx.services().audit;

  app.get(
    '/users',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: 'List users', response: { 200: UserList, ...errors } },
    },
    async () => ({
      items: ctx.accounts.listUsers(),
    }),
  );

  app.post<{ Body: Static<typeof UserCreateBody> }>(
    '/users',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Create a user',
        body: UserCreateBody,
        response: { 201: UserView, 409: ErrorBody, 422: ErrorBody, ...errors },
      },
    },
    async (req, reply) => {
      const u = await ctx.accounts.createUser(req.body.username, req.body.password, req.body.role);
      audit().append({
        actor: actorOf(req),
        action: 'user.create',
        target: u.id,
        ip: req.ip,
        detail: { role: u.role },
      });
      return reply.code(201).send(u);
    },
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof UserPatchBody> }>(
    '/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Change a user’s role, password or disable it',
        params: IdParams,
        body: UserPatchBody,
        response: { 200: UserView, 409: ErrorBody, 422: ErrorBody, ...errors },
      },
    },
    async (req) => {
      const u = await ctx.accounts.updateUser(req.params.id, req.body);
      audit().append({
        actor: actorOf(req),
        action: 'user.update',
        target: u.id,
        ip: req.ip,
        detail: { fields: Object.keys(req.body) },
      });
      return u;
    },
  );

  app.get(
    '/displays',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: 'List paired displays', response: { 200: DisplayList, ...errors } },
    },
    async () => ({
      items: ctx.accounts.listDisplays(),
    }),
  );

  app.post<{ Body: Static<typeof DisplayPairBody> }>(
    '/displays',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Pair a wall display: returns its token once',
        body: DisplayPairBody,
        response: { 201: DisplayPairReply, ...errors },
      },
    },
    async (req, reply) => {
      const r = ctx.accounts.pairDisplay(
        req.body.name,
        actorOf(req).kind === 'user' ? req.principal!.id : 'system',
      );
      audit().append({ actor: actorOf(req), action: 'display.pair', target: r.display.id, ip: req.ip });
      return reply.code(201).send(r);
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/displays/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Revoke a display token',
        params: IdParams,
        response: { 200: DisplayView, ...errors },
      },
    },
    async (req) => {
      const d = ctx.accounts.revokeDisplay(req.params.id);
      audit().append({ actor: actorOf(req), action: 'display.revoke', target: d.id, ip: req.ip });
      return d;
    },
  );

  app.get<{ Querystring: Static<typeof AuditQuerySchema> }>(
    '/audit',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'The audit log, newest first',
        querystring: AuditQuerySchema,
        response: { 200: AuditList, ...errors },
      },
    },
    async (req) => {
      const items = audit().query({ ...req.query, limit: req.query.limit ?? 100 });
      audit().append({
        actor: actorOf(req),
        action: 'audit.view',
        ip: req.ip,
        detail: { count: items.length },
      });
      return { items };
    },
  );

  app.get(
    '/device',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Device identity and state',
        response: { 200: DeviceReply, ...errors },
      },
    },
    async () => {
      const s = ctx.services();
      return {
        site: ctx.config.device.site,
        deviceId: ctx.config.device.id,
        roomName: ctx.config.device.room_name,
        version: ctx.version,
        uptimeS: Math.round((Date.now() - ctx.startedAtMs) / 1000),
        openCaseId: s.engine.currentCase?.id ?? null,
        schemaVersion: s.store.version,
      };
    },
  );

  app.get(
    '/config',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'The running configuration, secrets redacted',
        response: { 200: ConfigReply, ...errors },
      },
    },
    async () => redact(ctx.config) as Record<string, unknown>,
  );
}
