/**
 * The OpenAPI document of the API, generated from the route schemas. CI checks that
 * ui/api/openapi.json is current; after changing a route run:
 *
 *   npx tsx ui/api/openapi-doc.ts --write
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import { EventBus } from '../../daemon/bus.js';
import { CasesPart } from '../../daemon/cases/index.js';
import { Store } from '../../daemon/store/index.js';
import { syncStatusRoutes } from '../../sync/index.js';
import { HttpPart } from '../http-part.js';
import { apiPlugin } from './api-plugin.js';

export const OPENAPI_FILE = join(fileURLToPath(new URL('.', import.meta.url)), 'openapi.json');

/** Builds the server on an in-memory database (nothing listens) and returns its document as text. */
export async function openApiText(): Promise<string> {
  const config = loadConfig({ overrides: { storage: { data_dir: '/nonexistent-orsight-openapi' } } });
  const log = pino({ level: 'silent' });
  const store = Store.open({
    file: ':memory:',
    busyTimeoutMs: 1000,
    synchronous: 'NORMAL',
    integrityCheck: 'off',
  });
  const cases = new CasesPart({ config, store: () => store, bus: new EventBus(log), log });
  await cases.start();
  const http = new HttpPart({
    config,
    log,
    readiness: () => ({ ok: true, parts: {} }),
    plugins: [
      apiPlugin({
        config,
        services: () => cases.services,
        routes: [
          syncStatusRoutes(
            () => store,
            () => ({ state: 'stopped', inFlight: 0, uploading: null }),
          ),
        ],
      }),
    ],
  });
  const app = await http.build();
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as unknown;
  await app.close();
  await cases.stop();
  store.close();
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await openApiText();
  if (process.argv.includes('--write')) {
    writeFileSync(OPENAPI_FILE, text);
    process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
  } else process.stdout.write(text);
}
