import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/process.js';

/** The Debian python (python3-gi lives there, not in a pyenv python on PATH). */
const PYTHON = '/usr/bin/python3';

export interface RtspServer {
  url: string;
  stop(): Promise<void>;
}

/** Starts test/fixtures/rtsp-server.py on 127.0.0.1:port; resolves once it listens. */
/** Starts test/fixtures/rtsp-server.py; with `auth`, the server requires those credentials. */
export function startRtspServer(
  port: number,
  auth?: { user: string; password: string },
): Promise<RtspServer> {
  const child: ChildProcess = spawn(
    PYTHON,
    [join(ROOT, 'test', 'fixtures', 'rtsp-server.py'), String(port)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...(auth ? { RTSP_AUTH: `${auth.user}:${auth.password}` } : {}) },
    },
  );
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rtsp server did not start: ${err}`)), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rtsp server exited (${code}): ${err}`));
    });
    child.stdout?.on('data', (d: Buffer) => {
      if (!d.toString().includes('READY')) return;
      clearTimeout(timer);
      resolve({
        url: `rtsp://127.0.0.1:${port}/cam`,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}
