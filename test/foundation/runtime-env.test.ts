import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, ROOT, spawnDaemon, waitForReady } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const RUNTIME_ENV = join(ROOT, 'bin', 'runtime-env');

/** GLIBC_TUNABLES after sourcing bin/runtime-env with the given value (undefined: unset). */
function tunablesAfter(before: string | undefined): string {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  if (before !== undefined) env.GLIBC_TUNABLES = before;
  const r = spawnSync('sh', ['-c', '. "$0" && printf %s "$GLIBC_TUNABLES"', RUNTIME_ENV], {
    env,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('bin/runtime-env (the daemon’s process environment)', () => {
  it('puts malloc on huge pages, keeps other tunables and an explicit choice', () => {
    expect(tunablesAfter(undefined)).toBe('glibc.malloc.hugetlb=1');
    expect(tunablesAfter('')).toBe('glibc.malloc.hugetlb=1');
    expect(tunablesAfter('glibc.malloc.arena_max=2')).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
    expect(tunablesAfter('glibc.malloc.hugetlb=0')).toBe('glibc.malloc.hugetlb=0');
    expect(tunablesAfter('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0')).toBe(
      'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0',
    );
  });

  it('is what bin/orsightd starts the daemon with', async () => {
    const port = await freePort();
    const daemon = spawnDaemon(
      [],
      {
        ORSIGHT_STORAGE__DATA_DIR: join(tempDir(), 'data'),
        ORSIGHT_HTTP__PORT: String(port),
        GLIBC_TUNABLES: undefined, // not inherited from the test runner
      },
      'launcher',
    );
    try {
      await waitForReady(daemon, port);
      // The launcher execs node, so the daemon keeps the launcher's pid.
      const pid = daemon.child.pid!;
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      expect(environ).toContain('GLIBC_TUNABLES=glibc.malloc.hugetlb=1');
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('daemon/main.ts');
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
  });
});
