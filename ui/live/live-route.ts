import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { LiveHub } from './live-hub.js';

/**
 * GET /api/live: the WebSocket live channel (see ui/live-types.ts for the messages). The
 * API's access hook has checked the caller before the upgrade; display tokens may connect
 * (with `?token=` when a browser cannot send a header) and never receive PHI fields.
 */
export function liveRoute(app: FastifyInstance, hub: LiveHub): void {
  app.get(
    '/live',
    {
      websocket: true,
      config: { access: 'display' },
      schema: {
        tags: ['live'],
        summary: 'WebSocket: live state snapshot, then deltas and heartbeats (ui/live-types.ts)',
        querystring: Type.Object(
          {
            token: Type.Optional(Type.String({ maxLength: 64, description: 'Display token, for browsers.' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    (socket, req) => hub.add(socket, req.principal?.kind === 'user' && req.principal.role !== 'display'),
  );
}
