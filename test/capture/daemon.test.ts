import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDaemon, startDaemon, writeConfig } from '../e2e/daemon.js';
import { waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

interface Readiness {
  ok: boolean;
  parts: Record<
    string,
    {
      ok: boolean;
      state: string;
      detail?: { sources?: Record<string, { state: string; restarts: number; error?: string }> };
    }
  >;
}

describe('capture inside the real daemon', () => {
  let daemon: RunningDaemon;

  beforeAll(async () => {
    const dir = tempDir();
    const configFile = writeConfig(dir, {
      capture: {
        record: false,
        sim_width: 160,
        sim_height: 120,
        sim_fps: 10,
        analysis_width: 64,
        analysis_height: 48,
        sources: [
          { name: 'scope', kind: 'sim', role: 'endoscope' },
          { name: 'card', kind: 'v4l2', role: 'room', device: '/dev/video-orsight-missing' },
        ],
      },
    });
    daemon = await startDaemon(dir, { configFile });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('a bad source shows its error in /readyz while the daemon and the good source keep running', async () => {
    const ready = await waitFor(
      async () => {
        const r = (await (await fetch(`${daemon.baseUrl}/readyz`)).json()) as Readiness;
        const src = r.parts.capture?.detail?.sources;
        return src?.scope?.state === 'live' && src.card?.error ? r : undefined;
      },
      30_000,
      'capture health with a live scope and an error for card',
    );
    const sources = ready.parts.capture!.detail!.sources!;
    expect(sources.card!.error).toContain('/dev/video-orsight-missing');
    expect(sources.card!.state).not.toBe('live');
    expect(ready.parts.capture).toMatchObject({ ok: true, state: 'degraded' });
    expect(daemon.proc.child.exitCode).toBeNull();
  });

  it('SIGKILL of the source process: the daemon keeps serving and the source comes back', async () => {
    const [pid] = sourcePids(daemon.proc.child.pid!);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    const back = await waitFor(
      async () => {
        const r = (await (await fetch(`${daemon.baseUrl}/readyz`)).json()) as Readiness;
        const scope = r.parts.capture?.detail?.sources?.scope;
        return scope?.state === 'live' && scope.restarts >= 1 ? scope : undefined;
      },
      30_000,
      'scope live again after the kill',
    );
    expect(back.restarts).toBeGreaterThanOrEqual(1);
    expect(sourcePids(daemon.proc.child.pid!)).not.toContain(pid);
    expect(daemon.proc.child.exitCode).toBeNull();
  });

  it('stops its source processes with the daemon', async () => {
    const pid = daemon.proc.child.pid!;
    const children = sourcePids(pid);
    expect(children.length).toBeGreaterThanOrEqual(1); // the sim source's process
    await daemon.stop('SIGTERM');
    expect((await daemon.proc.exited).code).toBe(0);
    const alive = (p: number) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(children.filter(alive)).toEqual([]);
  });
});

/** The source processes (capture/worker/source-worker.ts) whose parent is `daemonPid`. */
function sourcePids(daemonPid: number): number[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => Number(f[1]) === daemonPid && f.some((a) => a.endsWith('source-worker.ts')))
    .map((f) => Number(f[0]));
}
