import { CapturePart } from '../capture/index.js';
import type { Config } from '../config/index.js';
import type { ModelInfo } from '../inference/index.js';
import { InferencePart } from '../inference/index.js';
import { activeModelDir, SyncPart, syncStatusRoutes } from '../sync/index.js';
import { apiPlugin } from '../ui/api/index.js';
import { HttpPart } from '../ui/index.js';
import { staticPlugin } from '../ui/static.js';
import { EventBus } from './bus.js';
import { CasesPart } from './cases/index.js';
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
  options: { leadingParts?: Part[] } = {},
): { controller: Controller; http: HttpPart; parts: Part[]; bus: EventBus } {
  const storePart = new StorePart(config, log.child({ module: 'store' }));
  // Leading parts (the demo's broker and central ingest) start first and stop last.
  const parts: Part[] = [...(options.leadingParts ?? []), storePart];
  const bus = new EventBus(log.child({ module: 'bus' }));
  // Inference announces its model while it starts, before the case part listens: keep the last one.
  let lastModel: ModelInfo | undefined;
  bus.on('inference.model', 'daemon', (m) => {
    lastModel = m;
  });
  // Capture: after the store (it writes chunk rows), before inference and cases (they consume it).
  const capturePart = new CapturePart({
    config,
    log: log.child({ module: 'capture' }),
    bus,
    store: () => storePart.store,
  });
  parts.push(capturePart);
  // Inference: after capture (it subscribes to the endoscope frames), before cases (it consumes
  // the phase events).
  const inferencePart = new InferencePart({
    config,
    log: log.child({ module: 'inference' }),
    bus,
    frames: capturePart,
    rolledOutModelDir: activeModelDir(config.storage.data_dir),
  });
  parts.push(inferencePart);
  // Cases: after capture and inference (it consumes their events), before http (it serves them).
  const casesPart = new CasesPart({
    config,
    store: () => storePart.store,
    bus,
    log: log.child({ module: 'cases' }),
    recorder: () => capturePart,
    currentModel: () => lastModel,
  });
  parts.push(casesPart);
  // Sync: after cases (the timeline tables' triggers fill its outbox), before http.
  const syncPart = new SyncPart({
    config,
    store: () => storePart.store,
    log: log.child({ module: 'sync' }),
    // Capture source status and inference latency for telemetry.
    bus,
    // A rolled-out model package: refused packages throw and the previous model stays active.
    activateModel: async (dir: string) => {
      const r = await inferencePart.loadModel(dir);
      if (!r.ok) throw r.error;
    },
  });
  parts.push(syncPart);
  // The controller is created after the parts list; /readyz asks it lazily.
  let controller: Controller | undefined;
  const http = new HttpPart({
    config,
    log: log.child({ module: 'http' }),
    readiness: () => controller?.readiness() ?? { ok: false, parts: {} },
    // The web app (wall display, review, admin) from ui/dist.
    plugins: [
      apiPlugin({
        config,
        services: () => casesPart.services,
        routes: [
          syncStatusRoutes(
            () => storePart.store,
            () => syncPart.linkState(),
          ),
        ],
      }),
      staticPlugin(),
    ],
  });
  parts.push(http);
  controller = new Controller({
    parts,
    log: log.child({ module: 'controller' }),
    startTimeoutMs: config.daemon.start_timeout_ms,
    stopTimeoutMs: config.daemon.stop_timeout_ms,
  });
  return { controller, http, parts, bus };
}
