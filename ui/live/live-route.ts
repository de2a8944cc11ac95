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
      // A browser page from another site must not open the channel with this site's cookie.
      preValidation: async (req, reply) => {
        const origin = req.headers.origin;
        if (origin === undefined || sameOrigin(origin, req.headers.host)) return;
        return reply.code(403).send({
          statusCode: 403,
          code: 'FORBIDDEN',
          error: 'Forbidden',
          message: 'the live channel accepts connections from this site’s own pages only',
        });
      },
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

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
