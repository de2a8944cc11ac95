import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DaemonProcess,
  freePort,
  runCli,
  spawnDaemon,
  waitFor,
  waitForReady,
} from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const env = { ORSIGHT_STORAGE__DATA_DIR: join(dir, 'data'), ORSIGHT_CASES__AUTO_START: 'false' };

async function startDaemon(port: number): Promise<DaemonProcess> {
  const d = spawnDaemon([], { ...env, ORSIGHT_HTTP__PORT: String(port) });
  await waitForReady(d, port);
  return d;
}

describe('crash-only: kill -9 of the daemon during a burst of writes', () => {
  const running: DaemonProcess[] = [];
  afterAll(() => {
    for (const d of running) d.child.kill('SIGKILL');
  });

  it('restarts with an intact database and every acknowledged write present', async () => {
    const add = runCli(
      ['user', 'add', 'admin1', '--role', 'admin'],
      env,
      undefined,
      'correct-horse-battery-staple\n',
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const first = await startDaemon(port);
    running.push(first);
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin1', password: 'correct-horse-battery-staple' }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const created = await fetch(`${base}/api/cases`, { method: 'POST', headers, body: JSON.stringify({}) });
    expect(created.status).toBe(201);
    const caseId = ((await created.json()) as { id: string }).id;

    // Four writers in parallel; a bookmark counts as committed once the API answered 201.
    const acked: string[] = [];
    let killed = false;
    const writer = async (w: number) => {
      for (let i = 0; !killed; i++) {
        try {
          const r = await fetch(`${base}/api/cases/${caseId}/bookmarks`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ note: `burst ${w}-${i}` }),
          });
          if (r.status === 201) acked.push(((await r.json()) as { id: string }).id);
        } catch {
          return; // connection refused / reset: the daemon is gone
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    await waitFor(() => acked.length >= 150, 30_000, '150 acknowledged writes');
    first.child.kill('SIGKILL');
    killed = true;
    await first.exited;
    await Promise.all(writers);

    const second = await startDaemon(port); // integrity check + migrations run at start
    running.push(second);
    const login2 = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin1', password: 'correct-horse-battery-staple' }),
    });
    const token2 = ((await login2.json()) as { token: string }).token;
    const detail = await fetch(`${base}/api/cases/${caseId}`, {
      headers: { authorization: `Bearer ${token2}` },
    });
    expect(detail.status).toBe(200);
    const body = (await detail.json()) as {
      case: { id: string; endedAtMs: number | null };
      bookmarks: Array<{ id: string }>;
    };
    const stored = new Set(body.bookmarks.map((b) => b.id));
    expect(acked.filter((id) => !stored.has(id))).toEqual([]);
    expect(body.case.id).toBe(caseId);
    expect(body.case.endedAtMs).toBeNull(); // the case is still open
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    const check = runCli(['db', 'check'], env);
    expect(check.stdout).toMatch(/ok \(schema version \d+\)/);
    expect(check.code).toBe(0);
  });
});
