import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LATEST_VERSION, migrations, Store, StoreError } from '../../daemon/store/index.js';
import { ROOT, TSX } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const open = (file: string, targetVersion?: number) =>
  Store.open({ file, busyTimeoutMs: 1000, synchronous: 'FULL', integrityCheck: 'full', targetVersion });

function schemaOf(store: Store): string[] {
  return (
    store.db
      .prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
      .all() as Array<{ type: string; name: string; sql: string | null }>
  ).map((r) => `${r.type} ${r.name}: ${(r.sql ?? '').replace(/\s+/g, ' ')}`);
}

describe('store', () => {
  it('migrates an empty database to the latest version in WAL mode', () => {
    const store = open(join(dir, 'empty.db'));
    expect(store.version).toBe(LATEST_VERSION);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    for (const table of [
      'sources',
      'cases',
      'phase_segments',
      'events',
      'bookmarks',
      'corrections',
      'recordings',
      'outbox',
      'audit_log',
    ]) {
      expect(store.db.prepare('SELECT count(*) AS n FROM sqlite_schema WHERE name = ?').get(table)).toEqual({
        n: 1,
      });
    }
    store.close();
  });

  const reference = (() => {
    const s = open(join(dir, 'reference.db'));
    const schema = schemaOf(s);
    s.close();
    return schema;
  })();

  it.each(migrations.map((m) => m.version - 1))(
    'upgrades a database at version %i to the same schema as a new one',
    (from) => {
      const file = join(dir, `from-${from}.db`);
      const old = open(file, from);
      expect(old.version).toBe(from);
      old.close();
      const upgraded = open(file);
      expect(upgraded.version).toBe(LATEST_VERSION);
      expect(schemaOf(upgraded)).toEqual(reference);
      upgraded.close();
    },
  );

  it('refuses a database from a newer orsight', () => {
    const file = join(dir, 'newer.db');
    const s = open(file);
    s.db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    s.close();
    expect(() => open(file)).toThrowError(/schema version .* knows only up to/);
  });

  it('refuses a corrupt database with a recovery path', () => {
    const file = join(dir, 'corrupt.db');
    const s = open(file);
    s.tx(() => {
      const ins = s.db.prepare("INSERT INTO audit_log (at, actor, action) VALUES (?, 'system', ?)");
      for (let i = 0; i < 2000; i++) ins.run(i, `filler-${'x'.repeat(200)}-${i}`);
    });
    s.close();
    // Overwrite pages in the middle of the file (page 1 stays, so it still opens as SQLite).
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096 * 4, 0xa5), 0, 4096 * 4, 4096 * 3);
    closeSync(fd);
    try {
      open(file);
      expect.unreachable('corrupt database was accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('STORE_CORRUPT');
      expect((err as StoreError).message).toContain('.recover');
    }
  });

  it('keeps the audit log append-only', () => {
    const s = open(join(dir, 'audit.db'));
    s.db.prepare("INSERT INTO audit_log (at, actor, action) VALUES (1, 'system', 'test')").run();
    expect(() => s.db.prepare("UPDATE audit_log SET actor = 'x'").run()).toThrowError(/append-only/);
    expect(() => s.db.prepare('DELETE FROM audit_log').run()).toThrowError(/append-only/);
    s.close();
  });

  it('loses no committed row when the writer is killed with SIGKILL mid-burst', async () => {
    const file = join(dir, 'burst.db');
    const child = spawn(
      process.execPath,
      ['--import', TSX, join(ROOT, 'test/fixtures/store-writer.ts'), file],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const committed: string[] = [];
    let buf = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        committed.push(...lines.filter(Boolean));
        // Kill at an arbitrary point well into the burst, while it is still writing.
        if (committed.length >= 300 && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    await new Promise((r) => child.once('exit', r).once('close', r));
    expect(committed.length).toBeGreaterThanOrEqual(300);
    expect(existsSync(`${file}-wal`)).toBe(true);
    const s = open(file); // full integrity check runs here
    const ids = new Set(
      (s.db.prepare('SELECT id FROM events').all() as Array<{ id: string }>).map((r) => r.id),
    );
    const lost = committed.filter((id) => !ids.has(id));
    expect(lost).toEqual([]);
    s.close();
  });
});
