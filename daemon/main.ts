import { parseArgs } from 'node:util';
import { type Config, ConfigError } from '../config/index.js';
import { buildDaemon } from './daemon.js';
import { announceDemo } from './demo/announce.js';
import { DemoServicesPart } from './demo/demo-services.js';
import { prepareDemo } from './demo/prepare.js';
import { loadEffectiveConfig } from './effective-config.js';
import { createLogger, type Logger } from './log.js';
import { LoopMonitor } from './loop-monitor.js';
import type { Part } from './part.js';
import { DEMO_DATA_DIR } from './paths.js';
import { SdNotify } from './sd-notify.js';
import { StorePart } from './store/index.js';

const USAGE = `usage: orsightd [--config FILE] [--demo]

  --config FILE   YAML configuration (see config/orsight.example.yaml)
  --demo          run the embedded demo: simulated OR camera, demo model, local data in ./data/demo
Environment variables ORSIGHT_<SECTION>__<KEY> override the file.`;

function parseCli(argv: string[]): { file?: string; demo: boolean } {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        demo: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    return { file: values.config, demo: values.demo ?? false };
  } catch (err) {
    process.stderr.write(`orsightd: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}

function readConfig(file: string | undefined, overrides?: Record<string, unknown>): Readonly<Config> {
  try {
    return loadEffectiveConfig({ file, env: process.env, overrides });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        `orsightd: invalid configuration${err.file ? ` in ${err.file}` : ''}:\n${err.message}\n`,
      );
      process.exit(2);
    }
    throw err;
  }
}

/** Demo mode: the simulated OR (generated video), a local broker and the central ingest. */
async function demoConfig(
  file: string | undefined,
  log: Logger,
): Promise<{ config: Readonly<Config>; part: Part }> {
  const dataDir = process.env.ORSIGHT_STORAGE__DATA_DIR ?? DEMO_DATA_DIR;
  const base = readConfig(file, { daemon: { demo: true }, storage: { data_dir: dataDir } });
  log.info('demo: preparing the simulated OR (the surgical video is generated once, about a minute)');
  const plan = await prepareDemo(dataDir, {
    hasSources: base.capture.sources.length > 0,
    syncEnabled: base.sync.enabled,
  });
  const config = readConfig(file, plan.overrides);
  const part = new DemoServicesPart({
    dataDir,
    brokerPort: plan.brokerPort,
    log: log.child({ module: 'demo' }),
  });
  return { config, part };
}

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2));
  let config = readConfig(args.file, args.demo ? { daemon: { demo: true } } : undefined);
  let root = createLogger(config);
  let log = root.child({ module: 'daemon' });
  installCrashHandlers(log);
  const leadingParts: Part[] = [];
  if (args.demo) {
    const demo = await demoConfig(args.file, log);
    config = demo.config;
    root = createLogger(config);
    log = root.child({ module: 'daemon' });
    leadingParts.push(demo.part);
  }

  const notify = new SdNotify();
  const { controller, http, parts } = buildDaemon(config, root, { leadingParts });
  const monitor = new LoopMonitor(
    log,
    config.daemon.loop_delay_warn_ms,
    config.daemon.loop_delay_interval_ms,
  );
  let watchdog: NodeJS.Timeout | undefined;
  let signals = 0;

  const shutdown = async (signal: string) => {
    signals += 1;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: forcing exit');
      process.exit(130);
    }
    log.info({ signal }, 'shutting down');
    clearInterval(watchdog);
    await notify.stopping().catch(() => undefined);
    monitor.stop();
    await controller.stop();
    notify.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    await controller.start();
  } catch (err) {
    log.fatal({ err }, 'start failed');
    await notify.send(`STATUS=start failed: ${(err as Error).message}`).catch(() => undefined);
    process.exit(1);
  }
  monitor.start();
  await notify.ready();
  await notify.status(`serving on port ${http.port}`);
  const watchdogMs = SdNotify.watchdogIntervalMs();
  if (watchdogMs !== undefined && notify.enabled) {
    // Sent from the main loop on purpose: a blocked loop misses it and systemd restarts us.
    watchdog = setInterval(
      () => void notify.watchdog().catch((err) => log.warn({ err }, 'watchdog notify failed')),
      watchdogMs,
    );
  }
  log.info({ port: http.port, demo: config.daemon.demo }, 'orsightd ready');
  if (args.demo) {
    const storePart = parts.find((p): p is StorePart => p instanceof StorePart);
    if (storePart) process.stderr.write(announceDemo(storePart.store, config, http.port));
  }
}

function installCrashHandlers(log: Logger): void {
  // Crash-only: log and exit non-zero; systemd restarts us and state is rebuilt from the DB.
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    process.exit(70);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled promise rejection');
    process.exit(70);
  });
}

void main();
