import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { Part, PartHealth } from '../part.js';
import { ROOT } from '../paths.js';

export interface DemoServicesOptions {
  dataDir: string;
  brokerPort: number;
  log: Logger;
}

/**
 * The demo's stand-in for headquarters: a mosquitto broker on loopback and an
 * `orsight-central` ingest, both children of the daemon, so `bin/demo` shows the whole
 * path (box → MQTT → central store → acknowledgement) on one machine. Production boxes
 * talk to a real broker over TLS with client certificates instead (config/mosquitto/).
 */
export class DemoServicesPart implements Part {
  readonly name = 'demo-services';
  private broker: ChildProcess | undefined;
  private central: ChildProcess | undefined;
  private stopping = false;

  constructor(private readonly options: DemoServicesOptions) {}

  async start(): Promise<void> {
    const { dataDir, brokerPort, log } = this.options;
    const dir = join(dataDir, 'demo-hq');
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'mosquitto.conf');
    // Loopback only and anonymous: this broker exists only for the demo on this machine.
    writeFileSync(
      conf,
      `listener ${brokerPort} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\n`,
    );
    this.broker = this.spawnChild('mosquitto', ['mosquitto', ['-c', conf]]);
    await waitForPort(brokerPort, 10_000);
    this.central = this.spawnChild('orsight-central', [
      join(ROOT, 'bin', 'orsight-central'),
      [
        'serve',
        '--broker',
        `mqtt://127.0.0.1:${brokerPort}`,
        '--data-dir',
        join(dir, 'central'),
        '--http-port',
        '0',
        '--log-level',
        'warn',
      ],
    ]);
    log.info({ brokerPort, centralDataDir: join(dir, 'central') }, 'demo broker and central ingest running');
  }

  private spawnChild(name: string, [cmd, args]: [string, string[]]): ChildProcess {
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      // Ctrl-C or systemd's stop reaches the whole process group, so the services often stop a
      // moment before the daemon does: a clean exit is not an error.
      const stopped = code === 0 || signal === 'SIGINT' || signal === 'SIGTERM';
      if (stopped) this.options.log.info({ child: name, code, signal }, 'demo service stopped');
      else this.options.log.error({ child: name, code, signal }, 'demo service exited');
    });
    child.on('error', (err) => this.options.log.error({ child: name, err }, 'demo service failed to start'));
    return child;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([stopChild(this.central), stopChild(this.broker)]);
  }

  health(): PartHealth {
    const up = (c?: ChildProcess) => !!c && c.exitCode === null && c.signalCode === null;
    const ok = up(this.broker) && up(this.central);
    return {
      ok,
      state: ok ? 'running' : 'down',
      detail: { broker: up(this.broker), central: up(this.central) },
    };
  }
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`demo broker did not listen on port ${port} within ${timeoutMs} ms`);
}
