import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../log.js';
import { migrations as allMigrations, LATEST_VERSION, type Migration } from './migrations.js';

export type Db = Database.Database;

export interface StoreOptions {
  file: string;
  busyTimeoutMs: number;
  synchronous: 'FULL' | 'NORMAL';
  integrityCheck: 'quick' | 'full' | 'off';
  /** Apply migrations up to this version (tests); default: all. */
  targetVersion?: number;
  migrations?: readonly Migration[];
  log?: Logger;
}

export class StoreError extends Error {
  constructor(
    readonly code: 'STORE_CORRUPT' | 'STORE_TOO_NEW' | 'STORE_MIGRATION_FAILED' | 'STORE_OPEN_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export const RECOVERY_HINT =
  'Recovery: stop orsightd, keep a copy of the data directory, then run ' +
  '`sqlite3 orsight.db ".recover" | sqlite3 recovered.db`, check it with `orsight db check recovered.db`, ' +
  'and move it in place of orsight.db (see README, "Database recovery").';

/**
 * The daemon's SQLite database. One writer (this process); WAL so readers never block it;
 * synchronous=FULL by default so a committed row survives power loss.
 */
export class Store {
  readonly db: Db;

  private constructor(db: Db) {
    this.db = db;
  }

  static open(options: StoreOptions): Store {
    mkdirSync(dirname(options.file), { recursive: true });
    let db: Db;
    try {
      db = new Database(options.file, { timeout: options.busyTimeoutMs });
    } catch (err) {
      throw new StoreError(
        'STORE_OPEN_FAILED',
        `cannot open database ${options.file}: ${(err as Error).message}`,
      );
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous}`);
      db.pragma('foreign_keys = ON');
      checkIntegrity(db, options.file, options.integrityCheck);
      migrate(db, options.migrations ?? allMigrations, options.targetVersion, options.log);
    } catch (err) {
      db.close();
      if (err instanceof StoreError) throw err;
      if (
        (err as { code?: string }).code === 'SQLITE_NOTADB' ||
        (err as { code?: string }).code === 'SQLITE_CORRUPT'
      ) {
        throw new StoreError(
          'STORE_CORRUPT',
          `database ${options.file} is corrupt (${(err as Error).message}). ${RECOVERY_HINT}`,
        );
      }
      throw err;
    }
    return new Store(db);
  }

  get version(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** Runs fn in one transaction (BEGIN IMMEDIATE): all of it commits, or none. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  close(): void {
    if (this.db.open) {
      // Fold the WAL back so the file is self-contained after a clean stop.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.close();
    }
  }
}

function checkIntegrity(db: Db, file: string, mode: StoreOptions['integrityCheck']): void {
  if (mode === 'off') return;
  const rows = db.pragma(mode === 'quick' ? 'quick_check' : 'integrity_check') as Array<
    Record<string, string>
  >;
  const problems = rows.map((r) => Object.values(r)[0]).filter((v) => v !== 'ok');
  if (problems.length > 0) {
    throw new StoreError(
      'STORE_CORRUPT',
      `database ${file} failed its integrity check: ${problems.slice(0, 3).join('; ')}. ${RECOVERY_HINT}`,
    );
  }
}

function migrate(db: Db, migrations: readonly Migration[], target: number | undefined, log?: Logger): void {
  const latest = migrations.at(-1)?.version ?? 0;
  const goal = target ?? latest;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) {
    throw new StoreError(
      'STORE_TOO_NEW',
      `database is at schema version ${current} but this orsight knows only up to ${latest}; install the newer orsight or restore a backup`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current || m.version > goal) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    } catch (err) {
      throw new StoreError(
        'STORE_MIGRATION_FAILED',
        `migration ${m.version} (${m.name}) failed: ${(err as Error).message}`,
      );
    }
    log?.info({ version: m.version, migration: m.name }, 'database migrated');
  }
}

export { LATEST_VERSION };
