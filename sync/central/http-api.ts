import { createServer, type Server } from 'node:http';
import type { CentralBackend } from './backend.js';
import { caseCompleteness, fleetView } from './fleet.js';

const SEGMENT = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * The fleet JSON API (read-only): GET /api/fleet and GET /api/devices/<site>/<device>/cases.
 * Binds to loopback by default; put it behind the headquarters' authenticating proxy.
 */
export function createFleetApi(db: CentralBackend): Server {
  return createServer((req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const handle = async () => {
      if (req.method !== 'GET') return send(405, { code: 'METHOD', message: 'read-only API: use GET' });
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/api/fleet') return send(200, { devices: await fleetView(db) });
      const m = /^\/api\/devices\/([^/]+)\/([^/]+)\/cases$/.exec(url.pathname);
      if (m && SEGMENT.test(m[1]!) && SEGMENT.test(m[2]!)) {
        return send(200, { cases: await caseCompleteness(db, m[1]!, m[2]!) });
      }
      return send(404, {
        code: 'NOT_FOUND',
        message: 'try /api/fleet or /api/devices/<site>/<device>/cases',
      });
    };
    handle().catch((err: Error) => send(500, { code: 'INTERNAL', message: err.message }));
  });
}
