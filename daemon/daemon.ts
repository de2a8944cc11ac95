import type { Config } from '../config/index.js';
import { HttpPart } from '../ui/index.js';
import { staticPlugin } from '../ui/static.js';
import { Controller } from './controller.js';
import type { Logger } from './log.js';
import type { Part } from './part.js';
import { StorePart } from './store/index.js';

/**
 * Builds the daemon's parts in start order. Each part is constructed with what it needs
 * (dependencies passed in, no singletons); later parts get earlier ones' outputs.
 */
export function buildDaemon(
  config: Readonly<Config>,
  log: Logger,
): { controller: Controller; http: HttpPart; parts: Part[] } {
  const storePart = new StorePart(config, log.child({ module: 'store' }));
  const parts: Part[] = [storePart];
  // The controller is created after the parts list; /readyz asks it lazily.
  let controller: Controller | undefined;
  const http = new HttpPart({
    config,
    log: log.child({ module: 'http' }),
    readiness: () => controller?.readiness() ?? { ok: false, parts: {} },
    // The web app (wall display, review, admin) from ui/dist.
    plugins: [staticPlugin()],
  });
  parts.push(http);
  controller = new Controller({
    parts,
    log: log.child({ module: 'controller' }),
    startTimeoutMs: config.daemon.start_timeout_ms,
    stopTimeoutMs: config.daemon.stop_timeout_ms,
  });
  return { controller, http, parts };
}
