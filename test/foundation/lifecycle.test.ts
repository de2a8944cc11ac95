import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, spawnDaemon, waitFor, waitForReady } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const require = createRequire(import.meta.url);
const unix = require('unix-dgram') as {
  createSocket(
    type: 'unix_dgram',
    onMessage: (msg: Buffer) => void,
  ): { bind(path: string): void; close(): void };
};

const dir = tempDir();

describe('orsightd lifecycle', () => {
  const messages: string[] = [];
  const notifyPath = join(dir, 'notify.sock');
  const socket = unix.createSocket('unix_dgram', (msg) => messages.push(msg.toString()));
  socket.bind(notifyPath);
  afterAll(() => socket.close());

  it('tells systemd READY=1, keeps the watchdog fed, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const daemon = spawnDaemon([], {
      ORSIGHT_STORAGE__DATA_DIR: join(dir, 'data'),
      ORSIGHT_HTTP__PORT: String(port),
      NOTIFY_SOCKET: notifyPath,
      WATCHDOG_USEC: '400000',
    });
    try {
      const ready = await waitForReady(daemon, port);
      expect(ready.ok).toBe(true);
      expect(ready.parts.store?.ok).toBe(true);
      expect(ready.parts.http?.ok).toBe(true);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

      await waitFor(() => messages.includes('READY=1'), 5_000, 'READY=1');
      // READY comes only once the port listens: the HTTP check above already passed.
      await waitFor(
        () => messages.filter((m) => m === 'WATCHDOG=1').length >= 2,
        5_000,
        'two WATCHDOG=1 pings',
      );
      expect(messages.indexOf('READY=1')).toBeLessThan(messages.indexOf('WATCHDOG=1'));

      const t0 = Date.now();
      daemon.child.kill('SIGTERM');
      const exit = await daemon.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(messages).toContain('STOPPING=1');
      const log = daemon.output();
      // Stopped in reverse start order.
      expect(log.indexOf('"part":"http","durationMs"')).toBeLessThan(
        log.lastIndexOf('"part":"store","durationMs"'),
      );
    } finally {
      daemon.child.kill('SIGKILL');
    }
  });

  it('sends nothing and still runs when NOTIFY_SOCKET is unset', async () => {
    const port = await freePort();
    const before = messages.length;
    const daemon = spawnDaemon([], {
      ORSIGHT_STORAGE__DATA_DIR: join(dir, 'data2'),
      ORSIGHT_HTTP__PORT: String(port),
      WATCHDOG_USEC: '400000',
    });
    try {
      await waitForReady(daemon, port);
      daemon.child.kill('SIGINT');
      expect((await daemon.exited).code).toBe(0);
      expect(messages.length).toBe(before);
    } finally {
      daemon.child.kill('SIGKILL');
    }
  });

  it('exits 2 before starting anything when the config is invalid', async () => {
    const daemon = spawnDaemon([], {
      ORSIGHT_STORAGE__DATA_DIR: join(dir, 'data3'),
      ORSIGHT_HTTP__PORT: 'eighty',
    });
    const exit = await daemon.exited;
    expect(exit.code).toBe(2);
    expect(daemon.output()).toContain('ORSIGHT_HTTP__PORT: expected a number');
  });

  it('exits non-zero with a clear message when the port is taken', async () => {
    const port = await freePort();
    const first = spawnDaemon([], {
      ORSIGHT_STORAGE__DATA_DIR: join(dir, 'data4'),
      ORSIGHT_HTTP__PORT: String(port),
    });
    try {
      await waitForReady(first, port);
      const second = spawnDaemon([], {
        ORSIGHT_STORAGE__DATA_DIR: join(dir, 'data5'),
        ORSIGHT_HTTP__PORT: String(port),
      });
      const exit = await second.exited;
      expect(exit.code).not.toBe(0);
      expect(second.output()).toContain('EADDRINUSE');
    } finally {
      first.child.kill('SIGKILL');
    }
  });
});
