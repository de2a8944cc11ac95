import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { freePort, ROOT, waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { CaseWriter, type Central, caseSynced, makeBox, startCentral } from './harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** PostgreSQL's server binaries: on PATH, or Debian's /usr/lib/postgresql/<v>/bin. */
function pgBin(name: string): string {
  const onPath = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  const debian = spawnSync('sh', ['-c', `ls -d /usr/lib/postgresql/*/bin/${name} | sort -V | tail -1`], {
    encoding: 'utf8',
  }).stdout.trim();
  if (debian) return debian;
  throw new Error(`${name} not found: install PostgreSQL (Debian package "postgresql")`);
}

/** A throw-away PostgreSQL on a free loopback port (as the postgres user when we are root). */
async function startPostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = tempDir('orsight-pg-');
  const asUser: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0) throw new Error('running as root needs a "postgres" user to run the server');
    asUser.uid = Number(id.stdout.trim());
    asUser.gid = Number(gid.stdout.trim());
    chownSync(dir, asUser.uid, asUser.gid);
  }
  const init = spawnSync(
    pgBin('initdb'),
    ['-D', join(dir, 'data'), '-U', 'orsight', '--auth=trust', '-E', 'UTF8'],
    {
      ...asUser,
      encoding: 'utf8',
    },
  );
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const child: ChildProcess = spawn(
    pgBin('postgres'),
    ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
    { ...asUser, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`postgres exited: ${out}`);
      return out.includes('ready to accept connections');
    },
    30_000,
    'postgres to start',
  );
  return {
    url: `postgres://orsight@127.0.0.1:${port}/postgres`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    },
  };
}

describe('orsight-central with PostgreSQL (--postgres)', () => {
  let broker: Broker;
  let postgres: { url: string; stop: () => Promise<void> };
  let central: Central;
  const centralDir = tempDir('orsight-central-');

  beforeAll(async () => {
    broker = await startMosquitto();
    postgres = await startPostgres();
    central = await startCentral(broker, centralDir, { extraArgs: ['--postgres', postgres.url] });
  });
  afterAll(async () => {
    await central?.stop();
    await postgres?.stop();
  });

  it('stores a case and its video in PostgreSQL once, acknowledges it, and shows it in the fleet view', async () => {
    const box = makeBox(broker, 'site-p', 'or-1');
    const { dataDir, store, part } = box;
    await part.start();
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const w = new CaseWriter(store.db, dataDir);
      const caseId = w.startCase();
      w.segment(caseId, 'preparation');
      w.event(caseId, 'source_lost');
      const rec = w.recording(caseId, 200_000);
      w.endCase(caseId);
      await waitFor(() => caseSynced(store.db, caseId), 30_000, 'case synced');
      // Send everything of the case again: PostgreSQL keeps each id once.
      const n = store.db
        .prepare(`UPDATE outbox SET acked_at = NULL, next_try_at = 0 WHERE case_id = ? AND kind = 'record'`)
        .run(caseId).changes;
      await waitFor(
        () =>
          (store.db.prepare('SELECT count(*) AS n FROM outbox WHERE acked_at IS NULL').get() as { n: number })
            .n === 0,
        30_000,
        're-sent items acknowledged',
      );

      const boxIds = (
        store.db.prepare(`SELECT id FROM outbox WHERE kind = 'record' ORDER BY id`).all() as Array<{
          id: string;
        }>
      ).map((r) => r.id);
      const hqIds = (
        await client.query(`SELECT msg_id FROM messages WHERE site = 'site-p' ORDER BY msg_id`)
      ).rows.map((r: { msg_id: string }) => r.msg_id);
      expect(hqIds).toEqual(boxIds);
      const dups = (await client.query(`SELECT value FROM counters WHERE name = 'duplicates'`)).rows[0] as {
        value: number;
      };
      expect(Number(dups.value)).toBeGreaterThanOrEqual(n);
      const seg = (
        await client.query(`SELECT payload FROM records WHERE kind = 'phase_segment' AND case_id = $1`, [
          caseId,
        ])
      ).rows;
      expect(seg).toHaveLength(1);
      const file = (
        await client.query('SELECT path, sha256, state FROM files WHERE recording_id = $1', [rec.id])
      ).rows[0] as { path: string; sha256: string; state: string };
      expect(file).toMatchObject({ state: 'complete', sha256: sha(rec.data) });
      expect(sha(readFileSync(file.path))).toBe(sha(rec.data));

      const cli = spawnSync(
        join(ROOT, 'bin', 'orsight-central'),
        ['fleet', '--json', '--data-dir', centralDir, '--postgres', postgres.url],
        { encoding: 'utf8' },
      );
      expect(cli.status, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout).devices).toEqual([
        expect.objectContaining({ site: 'site-p', device: 'or-1', casesTotal: 1, casesComplete: 1 }),
      ]);
    } finally {
      await client.end();
      await box.close();
    }
  });
});
