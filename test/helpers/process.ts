import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from '../../daemon/paths.js';

export { ROOT };

/** tsx's loader, for `node --import` of a TypeScript entry in a child process. */
export const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');

/** Runs a TypeScript entry (a path under the repository) to completion in a child Node process. */
export function runTsx(
  entry: string,
  args: string[],
  o: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
) {
  return spawnSync(process.execPath, ['--import', TSX, join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: { ...cleanEnv(), ...o.env },
    encoding: 'utf8',
    timeout: o.timeoutMs ?? 60_000,
    input: o.input,
  });
}

/** Runs `orsight <args>` to completion; `input` goes to its stdin (a password, say). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000, input?: string) {
  const r = runTsx(join('daemon', 'cli.ts'), args, { env, timeoutMs, input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

/** The environment without ORSIGHT_* overrides from the developer's shell. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('ORSIGHT_') && k !== 'NOTIFY_SOCKET'),
  );
}

export interface DaemonProcess {
  child: ChildProcess;
  /** Everything the daemon wrote to stdout/stderr so far (JSON log lines). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `orsightd` as a child process: node on daemon/main.ts, or (launcher) through
 * bin/orsightd, the script systemd and bin/demo run, which execs node in the same process.
 */
export function spawnDaemon(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  how: 'node' | 'launcher' = 'node',
): DaemonProcess {
  const [cmd, argv] =
    how === 'launcher'
      ? [join(ROOT, 'bin', 'orsightd'), args]
      : [process.execPath, ['--import', TSX, join(ROOT, 'daemon', 'main.ts'), ...args]];
  const child = spawn(cmd, argv, {
    cwd: ROOT,
    env: { ...cleanEnv(), ORSIGHT_LOG__PRETTY: 'never', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls fn until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
  stepMs = 100,
  /** An error for which waiting longer cannot help: rethrown at once. */
  fatal: (err: unknown) => boolean = () => false,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      if (fatal(err)) throw err;
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`,
  );
}

/**
 * How long a daemon may take to answer /readyz with 200: about 3 s alone on this machine
 * (inference warm-up is most of it), several times that while the rest of the suite shares
 * the two cores.
 */
export const DAEMON_READY_MS = 60_000;

/** What /readyz answers: the whole and each part. */
export interface Readiness {
  ok: boolean;
  parts: Record<string, { ok: boolean }>;
}

/**
 * Waits until the daemon answers /readyz with 200 and returns the answer. Fails at once,
 * with the end of its log, if the daemon exits first.
 */
export async function waitForReady(
  daemon: DaemonProcess,
  port: number,
  timeoutMs = DAEMON_READY_MS,
): Promise<Readiness> {
  return waitFor(
    async () => {
      const { exitCode, signalCode } = daemon.child;
      if (exitCode !== null || signalCode !== null) {
        throw new DaemonExited(
          `the daemon exited (${exitCode ?? signalCode}) before it was ready; its log ends:\n${daemon.output().slice(-2000)}`,
        );
      }
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      return res.status === 200 ? ((await res.json()) as Readiness) : undefined;
    },
    timeoutMs,
    `the daemon on port ${port} to answer /readyz with 200`,
    100,
    (err) => err instanceof DaemonExited,
  );
}

class DaemonExited extends Error {}
