import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type DaemonProcess, freePort, runCli, spawnDaemon, waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { type BusDaemon, startBusDaemon } from './fixtures/bus-daemon-client.js';

interface SegRow {
  id: string;
  phase: string;
  started_at: number;
  ended_at: number | null;
}

function readDb(file: string) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const open = db.prepare('SELECT id FROM cases WHERE ended_at IS NULL').all() as Array<{ id: string }>;
    const all = db.prepare('SELECT id FROM cases').all() as Array<{ id: string }>;
    const segs = db
      .prepare('SELECT id, phase, started_at, ended_at FROM phase_segments ORDER BY started_at, rowid')
      .all() as SegRow[];
    return { open, all, segs };
  } finally {
    db.close();
  }
}

const live = (source: string, atMs: number) => ({
  source,
  state: 'live',
  sinceMs: atMs,
  fpsIn: 25,
  fpsOut: 5,
  framesDropped: 0,
  restarts: 0,
  recording: true,
});
const phase = (p: string, atMs: number) => ({
  type: 'phase_started',
  source: 'endoscope',
  phase: p,
  atMs,
  confidence: 0.9,
  modelVersion: 'test-1',
});

describe('a case survives kill -9 of the daemon', () => {
  let daemon: BusDaemon | undefined;
  afterEach(async () => {
    if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
  });

  it('reopens the same case after SIGKILL mid-phase; the phase goes on, no segment lost or duplicated', async () => {
    const dataDir = tempDir();
    const dbFile = join(dataDir, 'orsight.db');
    const port = await freePort();
    const env = {
      ORSIGHT_STORAGE__DATA_DIR: dataDir,
      ORSIGHT_HTTP__PORT: String(port),
      ORSIGHT_CASES__AUTO_START_AFTER_S: '0.2',
    };
    // The first admin comes from the CLI (no default password).
    const add = runCli(
      ['user', 'add', 'admin', '--role', 'admin'],
      env,
      undefined,
      'correct-horse-battery\n',
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);

    daemon = await startBusDaemon(env);
    const t0 = Date.now();
    daemon.emit('capture.source_status', live('endoscope', t0));
    daemon.emit('inference.phase', phase('preparation', t0));
    await waitFor(
      () => readDb(dbFile).segs.length === 1,
      20_000,
      'the auto-started case and its first segment',
    );
    const t1 = Date.now();
    daemon.emit('inference.phase', {
      type: 'phase_ended',
      source: 'endoscope',
      phase: 'preparation',
      atMs: t1,
      modelVersion: 'test-1',
    });
    daemon.emit('inference.phase', phase('calot_triangle_dissection', t1));
    await waitFor(() => readDb(dbFile).segs.length === 2, 20_000, 'the second segment');
    const before = readDb(dbFile);
    expect(before.open).toHaveLength(1);
    const caseId = before.open[0]!.id;

    daemon.child.kill('SIGKILL');
    expect((await daemon.exited).signal).toBe('SIGKILL');

    daemon = await startBusDaemon(env);
    const login = await fetch(`http://127.0.0.1:${daemon.port}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'correct-horse-battery' }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const get = async (path: string) => {
      const r = await fetch(`http://127.0.0.1:${daemon!.port}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(r.status).toBe(200);
      return r.json() as Promise<Record<string, unknown>>;
    };
    const open = (await get('/api/cases?open=true')) as { items: Array<{ id: string }> };
    expect(open.items.map((c) => c.id)).toEqual([caseId]);

    // Inference restarts too and reports the running phase again: the segment continues.
    daemon.emit('capture.source_status', live('endoscope', Date.now()));
    daemon.emit('inference.phase', phase('calot_triangle_dissection', Date.now()));
    await daemon.emitted(2);
    let detail = (await get(`/api/cases/${caseId}`)) as {
      segments: Array<{ phase: string; startedAtMs: number; endedAtMs: number | null }>;
      events: Array<{ type: string }>;
    };
    expect(detail.segments.map((s) => [s.phase, s.endedAtMs === null])).toEqual([
      ['preparation', false],
      ['calot_triangle_dissection', true],
    ]);
    expect(detail.segments[1]!.startedAtMs).toBe(before.segs[1]!.started_at);
    expect(detail.events.map((e) => e.type)).toContain('case_resumed');

    // The next phase change closes the running segment where it happened.
    const t2 = Date.now();
    daemon.emit('inference.phase', phase('clipping_and_cutting', t2));
    await daemon.emitted(3);
    detail = (await get(`/api/cases/${caseId}`)) as typeof detail;
    expect(detail.segments.map((s) => s.phase)).toEqual([
      'preparation',
      'calot_triangle_dissection',
      'clipping_and_cutting',
    ]);
    expect(detail.segments[1]!.endedAtMs).toBe(t2);

    const after = readDb(dbFile);
    expect(after.all).toHaveLength(1);
    expect(new Set(after.segs.map((s) => s.id)).size).toBe(3);
    expect(after.segs.slice(0, 2).map((s) => s.id)).toEqual(before.segs.map((s) => s.id));

    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });
});

describe('orsightd itself (spawnDaemon): a case started over the API survives kill -9', () => {
  let d: DaemonProcess | undefined;
  afterEach(async () => {
    if (d && d.child.exitCode === null && d.child.signalCode === null) {
      d.child.kill('SIGKILL');
      await d.exited;
    }
  });

  it('keeps the case, its bookmark and the admin’s account across SIGKILL', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const env = {
      ORSIGHT_STORAGE__DATA_DIR: dataDir,
      ORSIGHT_HTTP__PORT: String(port),
      ORSIGHT_CASES__AUTO_START: 'false',
    };
    const add = runCli(['user', 'add', 'boss', '--role', 'admin'], env, undefined, 'correct-horse-battery\n');
    expect(add.code, add.stderr).toBe(0);
    const base = `http://127.0.0.1:${port}`;
    const ready = async () => {
      d = spawnDaemon([], env);
      await waitFor(() => d!.output().includes('orsightd ready'), 60_000, 'orsightd ready');
      const r = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'boss', password: 'correct-horse-battery' }),
      });
      expect(r.status).toBe(200);
      return ((await r.json()) as { token: string }).token;
    };
    let token = await ready();
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    const started = await post('/api/cases', { procedure: 'lap_chole', label: 'kept on the box' });
    expect(started.status).toBe(201);
    const caseId = ((await started.json()) as { id: string }).id;
    expect((await post(`/api/cases/${caseId}/bookmarks`, { note: 'before the crash' })).status).toBe(201);
    expect(d!.output()).not.toContain('kept on the box');

    d!.child.kill('SIGKILL');
    expect((await d!.exited).signal).toBe('SIGKILL');

    token = await ready();
    const detail = await fetch(`${base}/api/cases/${caseId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await detail.json()) as {
      case: { endedAtMs: number | null; label: string };
      bookmarks: Array<{ note: string }>;
      events: Array<{ type: string }>;
    };
    expect(body.case).toMatchObject({ endedAtMs: null, label: 'kept on the box' });
    expect(body.bookmarks.map((b) => b.note)).toEqual(['before the crash']);
    expect(body.events.map((e) => e.type)).toEqual(['case_started', 'case_resumed']);
    // A second start is still refused: the rebuilt engine knows the case is open.
    expect((await post('/api/cases', {})).status).toBe(409);
    // The label (PHI) never reached the log.
    expect(d!.output()).not.toContain('kept on the box');
    d!.child.kill('SIGTERM');
    expect((await d!.exited).code).toBe(0);
  });
});
