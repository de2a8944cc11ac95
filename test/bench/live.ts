/**
 * Live channel fan-out: the real daemon (test/cases/fixtures/bus-daemon.ts) with N WebSocket
 * clients; phase changes are injected on its event bus and each client records when the
 * delta carrying that phase arrives. Latency = arrival − injection, both on this process's
 * clock, so it includes the pipe into the daemon, the case engine's database write and the
 * fan-out. Baseline: the same with one client, in the same run and the same daemon.
 *
 *   npm run --silent bench -- live --json [--clients 200] [--changes 60] [--interval-ms 100]
 *     [--synchronous FULL|NORMAL]   (SQLite durability of the daemon's writes; FULL is the default config)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { quantile } from '../../daemon/cases/quantiles.js';
import { Store } from '../../daemon/store/index.js';
import { Accounts } from '../../ui/auth/index.js';
import type { LiveMessage } from '../../ui/live-types.js';
import { type BusDaemon, startBusDaemon } from '../cases/fixtures/bus-daemon-client.js';
import { freePort, waitFor } from '../helpers/process.js';

const PHASES = ['preparation', 'calot_triangle_dissection', 'clipping_and_cutting', 'gallbladder_dissection'];

interface Client {
  ws: WebSocket;
  /** phase change index → arrival time (performance.now()). */
  arrivals: Map<number, number>;
  /** phase change index → the delta's serverTimeMs (when the daemon built it). */
  built: Map<number, number>;
  snapshot: boolean;
}

/** CPU time (ms) the process has used, from /proc (user + system). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the comm field; clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function connect(port: number, token: string, n: number): Promise<Client[]> {
  const clients: Client[] = [];
  for (let i = 0; i < n; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const c: Client = { ws, arrivals: new Map(), built: new Map(), snapshot: false };
    ws.on('message', (data) => {
      const t = performance.now();
      const msg = JSON.parse(String(data)) as LiveMessage;
      if (msg.type === 'snapshot') c.snapshot = true;
      else if (msg.type === 'delta' && msg.changes.phase) {
        const idx = Number(msg.changes.phase.confidence.toFixed(6).slice(-4));
        c.arrivals.set(idx, t);
        c.built.set(idx, msg.serverTimeMs);
      }
    });
    clients.push(c);
  }
  await waitFor(() => clients.every((c) => c.snapshot), 60_000, `${n} snapshots`, 20);
  return clients;
}

/**
 * Emits `changes` phase changes, one every `intervalMs` (or as soon as every client has the
 * previous one). The change index travels in the confidence's last digits so each delta is
 * matched to its injection exactly.
 */
async function measure(
  daemon: BusDaemon,
  clients: Client[],
  changes: number,
  intervalMs: number,
  offset: number,
) {
  const latencies: number[] = [];
  /** Injection → the daemon built the delta (wall clock, ms resolution). */
  const buildLatencies: number[] = [];
  let missing = 0;
  for (let i = 0; i < changes; i++) {
    const idx = offset + i;
    const confidence = 0.9 + idx / 1e6;
    const sentAt = performance.now();
    const sentWallMs = Date.now();
    daemon.emit('inference.phase', {
      type: 'phase_started',
      source: 'endoscope',
      phase: PHASES[idx % PHASES.length],
      atMs: Date.now(),
      confidence,
      modelVersion: 'bench',
    });
    try {
      await waitFor(
        () => clients.every((c) => c.arrivals.has(idx)),
        10_000,
        `change ${idx} at every client`,
        1,
      );
    } catch {
      // Counted below; a slow box must not abort the whole run.
    }
    for (const c of clients) {
      const t = c.arrivals.get(idx);
      if (t === undefined) missing += 1;
      else latencies.push(t - sentAt);
    }
    const built = clients[0]?.built.get(idx);
    if (built !== undefined) buildLatencies.push(built - sentWallMs);
    const wait = intervalMs - (performance.now() - sentAt);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return { latencies, buildLatencies, missing };
}

const round = (x: number | undefined) => (x === undefined ? null : Math.round(x * 100) / 100);

export async function run(args: string[]): Promise<unknown> {
  const { values } = parseArgs({
    args,
    options: {
      clients: { type: 'string', default: '200' },
      changes: { type: 'string', default: '60' },
      'interval-ms': { type: 'string', default: '100' },
      synchronous: { type: 'string', default: 'FULL' },
      json: { type: 'boolean' },
    },
  });
  const nClients = Number(values.clients);
  const changes = Number(values.changes);
  const intervalMs = Number(values['interval-ms']);
  const dir = mkdtempSync(join(tmpdir(), 'orsight-bench-live-'));
  let daemon: BusDaemon | undefined;
  try {
    // A clinician session and a display token: the fan-out serialises for both audiences.
    const store = Store.open({
      file: join(dir, 'orsight.db'),
      busyTimeoutMs: 5000,
      synchronous: 'FULL',
      integrityCheck: 'off',
    });
    const accounts = new Accounts(store, { scryptCost: 1024, passwordMinChars: 10, sessionTtlMs: 3_600_000 });
    const user = await accounts.createUser('bench', 'bench-password', 'clinician');
    const session = accounts.createSession(user.id).token;
    const display = accounts.pairDisplay('bench-wall', user.id).token;
    store.close();

    const port = await freePort();
    daemon = await startBusDaemon({
      ORSIGHT_STORAGE__DATA_DIR: dir,
      ORSIGHT_HTTP__PORT: String(port),
      ORSIGHT_CASES__AUTO_START_AFTER_S: '0.1',
      ORSIGHT_CASES__LIVE_MAX_CLIENTS: String(nClients + 10),
      ORSIGHT_STORAGE__SYNCHRONOUS: String(values.synchronous),
    });
    const pid = daemon.child.pid!;
    daemon.emit('capture.source_status', {
      source: 'endoscope',
      state: 'live',
      sinceMs: Date.now(),
      fpsIn: 30,
      fpsOut: 5,
      framesDropped: 0,
      restarts: 0,
      recording: true,
    });
    await daemon.emitted(1);
    // Let the case open automatically, so deltas carry a real case's segments and prediction.
    await new Promise((r) => setTimeout(r, 500));

    // Baseline: one client.
    const one = await connect(port, session, 1);
    const warm = Math.min(10, changes);
    await measure(daemon, one, warm, intervalMs, 0);
    const base = await measure(daemon, one, changes, intervalMs, warm);
    for (const c of one) c.ws.close();

    // N clients, half signed-in users, half display tokens.
    const many = [
      ...(await connect(port, session, Math.ceil(nClients / 2))),
      ...(await connect(port, display, Math.floor(nClients / 2))),
    ];
    const cpu0 = cpuMs(pid);
    const t0 = performance.now();
    const fan = await measure(daemon, many, changes, intervalMs, warm + changes);
    const wallMs = performance.now() - t0;
    const cpu1 = cpuMs(pid);
    for (const c of many) c.ws.close();

    const p99 = quantile(fan.latencies, 0.99);
    const baseP99 = quantile(base.latencies, 0.99);
    return {
      clients: many.length,
      changes,
      intervalMs,
      synchronous: values.synchronous,
      p50Ms: round(quantile(fan.latencies, 0.5)),
      p99Ms: round(p99),
      maxMs: round(Math.max(...fan.latencies)),
      deliveries: fan.latencies.length,
      // How much of it is the daemon reading the event, writing the segment and building the delta.
      injectToBuiltP50Ms: round(quantile(fan.buildLatencies, 0.5)),
      injectToBuiltP99Ms: round(quantile(fan.buildLatencies, 0.99)),
      missing: fan.missing,
      baseline: {
        clients: 1,
        p50Ms: round(quantile(base.latencies, 0.5)),
        p99Ms: round(baseP99),
        missing: base.missing,
      },
      p99RatioToBaseline: p99 !== undefined && baseP99 ? round(p99 / baseP99) : null,
      daemonCpuMs: cpu1 - cpu0,
      daemonCpuPercent: round(((cpu1 - cpu0) / wallMs) * 100),
      daemonCpuMsPerChange: round((cpu1 - cpu0) / changes),
      targetP99Ms: 50,
    };
  } finally {
    if (daemon) {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
