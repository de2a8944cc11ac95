import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { ErrorBody } from '../errors.js';
import { ModelReply, SourcesReply } from '../schemas.js';

const errors = { 401: ErrorBody, 403: ErrorBody };

/** Non-PHI state a wall display may read too. */
export function infoRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/sources',
    {
      config: { access: 'display' },
      schema: {
        tags: ['live'],
        summary: 'Camera sources and their health',
        response: { 200: SourcesReply, ...errors },
      },
    },
    async () => ({ items: ctx.services().live.current().sources }),
  );

  app.get(
    '/model',
    {
      config: { access: 'display' },
      schema: {
        tags: ['live'],
        summary: 'The active model: procedure, phases, typical durations',
        response: { 200: ModelReply, ...errors },
      },
    },
    async () => {
      const m = ctx.services().engine.model;
      return {
        procedure: m?.procedure ?? null,
        version: m?.version ?? null,
        backend: m?.backend ?? null,
        outOfBodyClass: m?.outOfBodyClass ?? null,
        phases: m?.phases ?? [],
      };
    },
  );
}
