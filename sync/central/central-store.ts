import { mkdirSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { RecordEnvelope } from '../messages.js';
import type { DeviceId } from '../topics.js';
import {
  type CentralBackend,
  type DeviceRow,
  type FileRow,
  type NewChunk,
  recordId,
  type StoredBatch,
} from './backend.js';
import { GroupSync } from './group-sync.js';

export type CentralDb = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS devices (
  site TEXT NOT NULL, device TEXT NOT NULL,
  first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL,
  state TEXT, versions TEXT, model TEXT, status_at_ms INTEGER,
  telemetry TEXT, telemetry_at_ms INTEGER,
  PRIMARY KEY (site, device)
) STRICT;
-- Every outbox id received, once: a resend is recognised and only acknowledged again.
CREATE TABLE IF NOT EXISTS messages (
  site TEXT NOT NULL, device TEXT NOT NULL, msg_id TEXT NOT NULL,
  seq INTEGER NOT NULL, received_at_ms INTEGER NOT NULL,
  PRIMARY KEY (site, device, msg_id)
) STRICT, WITHOUT ROWID;
-- The newest version (highest seq) of each timeline row.
CREATE TABLE IF NOT EXISTS records (
  site TEXT NOT NULL, device TEXT NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL,
  case_id TEXT, seq INTEGER NOT NULL, msg_id TEXT NOT NULL, payload TEXT NOT NULL,
  received_at_ms INTEGER NOT NULL,
  PRIMARY KEY (site, device, kind, record_id)
) STRICT;
CREATE INDEX IF NOT EXISTS records_case ON records (site, device, case_id, kind);
CREATE TABLE IF NOT EXISTS files (
  site TEXT NOT NULL, device TEXT NOT NULL, file_id TEXT NOT NULL,
  case_id TEXT, recording_id TEXT, name TEXT NOT NULL, size_bytes INTEGER NOT NULL,
  sha256 TEXT, meta TEXT, state TEXT NOT NULL, path TEXT,
  created_at_ms INTEGER NOT NULL, completed_at_ms INTEGER,
  PRIMARY KEY (site, device, file_id)
) STRICT;
CREATE INDEX IF NOT EXISTS files_case ON files (site, device, case_id);
CREATE TABLE IF NOT EXISTS file_chunks (
  site TEXT NOT NULL, device TEXT NOT NULL, file_id TEXT NOT NULL,
  offset_bytes INTEGER NOT NULL, size_bytes INTEGER NOT NULL, sha256 TEXT,
  PRIMARY KEY (site, device, file_id, offset_bytes)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
`;

/**
 * Headquarters' store (SQLite, WAL, synchronous=FULL so a commit is on disk before we ack).
 * Several ingest processes may share it; each write is one short transaction.
 */
export class CentralStore implements CentralBackend {
  /** fdatasync of the WAL file, shared by the commits finished before it started (see addChunks). */
  private readonly walSync = new GroupSync(async () => {
    // Opened once: the WAL file stays while this connection is open (SQLite resets it in place).
    this.walFile ??= open(`${this.db.name}-wal`, 'r');
    this.walFile.catch(() => {
      this.walFile = undefined;
    });
    await (await this.walFile).datasync();
  });
  private walFile: Promise<FileHandle> | undefined;
  /** Prepared once per SQL text (preparing costs more than running these statements). */
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(
    readonly db: CentralDb,
    /** WAL mode (else chunk rows are committed with synchronous=FULL, see addChunks). */
    private readonly wal: boolean,
  ) {}

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  static open(file: string): CentralStore {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file, { timeout: 10_000 });
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
    return new CentralStore(db, mode === 'wal');
  }

  /** Stores a batch of records in one transaction; a record received twice is stored once. */
  async storeRecords(
    batch: ReadonlyArray<{ id: DeviceId; env: RecordEnvelope }>,
    nowMs: number,
  ): Promise<StoredBatch> {
    const msg = this.stmt(
      'INSERT INTO messages (site, device, msg_id, seq, received_at_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    const rec = this.stmt(
      `INSERT INTO records (site, device, kind, record_id, case_id, seq, msg_id, payload, received_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (site, device, kind, record_id) DO UPDATE SET
         case_id = excluded.case_id, seq = excluded.seq, msg_id = excluded.msg_id,
         payload = excluded.payload, received_at_ms = excluded.received_at_ms
       WHERE excluded.seq > records.seq`,
    );
    const result: StoredBatch = { acks: new Map(), stored: 0, duplicates: 0 };
    this.db.transaction(() => {
      for (const { id, env } of batch) {
        const key = `${id.site}/${id.device}`;
        let entry = result.acks.get(key);
        if (!entry) {
          entry = { id, ids: [] };
          result.acks.set(key, entry);
        }
        entry.ids.push(env.id);
        if (msg.run(id.site, id.device, env.id, env.seq, nowMs).changes === 0) {
          result.duplicates += 1;
          continue;
        }
        result.stored += 1;
        rec.run(
          id.site,
          id.device,
          env.kind,
          recordId(env),
          env.caseId,
          env.seq,
          env.id,
          JSON.stringify(env.data),
          nowMs,
        );
      }
      for (const { id } of result.acks.values()) this.touch(id, nowMs);
      if (result.duplicates > 0) this.bumpSync('duplicates', result.duplicates);
    })();
    return result;
  }

  private touch(id: DeviceId, nowMs: number): void {
    this.stmt(
      `INSERT INTO devices (site, device, first_seen_ms, last_seen_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT (site, device) DO UPDATE SET last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`,
    ).run(id.site, id.device, nowMs, nowMs);
  }

  async setStatus(
    id: DeviceId,
    state: string,
    versions: unknown,
    model: string | null,
    atMs: number,
    nowMs: number,
  ): Promise<void> {
    this.touch(id, nowMs);
    this.stmt(
      'UPDATE devices SET state = ?, versions = ?, model = ?, status_at_ms = ? WHERE site = ? AND device = ?',
    ).run(state, JSON.stringify(versions), model, atMs, id.site, id.device);
  }

  async setTelemetry(id: DeviceId, telemetry: unknown, nowMs: number): Promise<void> {
    this.touch(id, nowMs);
    this.stmt('UPDATE devices SET telemetry = ?, telemetry_at_ms = ? WHERE site = ? AND device = ?').run(
      JSON.stringify(telemetry),
      nowMs,
      id.site,
      id.device,
    );
  }

  async file(id: DeviceId, fileId: string): Promise<FileRow | undefined> {
    return this.fileSync(id, fileId);
  }

  private fileSync(id: DeviceId, fileId: string): FileRow | undefined {
    return this.stmt(
      'SELECT site, device, file_id, case_id, recording_id, name, size_bytes, sha256, state, path FROM files WHERE site = ? AND device = ? AND file_id = ?',
    ).get(id.site, id.device, fileId) as FileRow | undefined;
  }

  /** init: remembers the file (idempotent; a different size or checksum restarts it), durably. */
  async initFile(
    id: DeviceId,
    fileId: string,
    f: {
      name: string;
      sizeBytes: number;
      sha256: string | null;
      caseId: string | null;
      recordingId: string | null;
      meta: string | null;
    },
    nowMs: number,
  ): Promise<void> {
    await this.durably(() => {
      this.touch(id, nowMs);
      const existing = this.fileSync(id, fileId);
      if (existing && existing.size_bytes === f.sizeBytes && existing.sha256 === f.sha256) return;
      this.stmt('DELETE FROM file_chunks WHERE site = ? AND device = ? AND file_id = ?').run(
        id.site,
        id.device,
        fileId,
      );
      this.stmt(
        `INSERT OR REPLACE INTO files (site, device, file_id, case_id, recording_id, name, size_bytes, sha256, meta, state, created_at_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'receiving', ?)`,
      ).run(
        id.site,
        id.device,
        fileId,
        f.caseId,
        f.recordingId,
        f.name,
        f.sizeBytes,
        f.sha256,
        f.meta,
        nowMs,
      );
    });
  }

  /** The chunks' rows, on disk when this resolves (see durably: the event loop goes on meanwhile). */
  async addChunks(chunks: readonly NewChunk[]): Promise<void> {
    const before = this.stmt(
      'SELECT 1 FROM file_chunks WHERE site = ? AND device = ? AND file_id = ? AND offset_bytes = ?',
    );
    const insert = this.stmt(
      'INSERT OR REPLACE INTO file_chunks (site, device, file_id, offset_bytes, size_bytes, sha256) VALUES (?, ?, ?, ?, ?, ?)',
    );
    await this.durably(() => {
      let resent = 0;
      for (const c of chunks) {
        if (before.get(c.id.site, c.id.device, c.fileId, c.offsetBytes)) resent += 1;
        insert.run(c.id.site, c.id.device, c.fileId, c.offsetBytes, c.sizeBytes, c.sha256);
      }
      if (resent > 0) this.bumpSync('chunks_resent', resent);
    });
  }

  /**
   * Runs fn in a transaction committed without SQLite's own fsync (synchronous=NORMAL, which
   * in WAL mode only write()s the frames), then fdatasyncs the WAL from the thread pool, one
   * sync shared by the commits that finished before it started: durable when this resolves,
   * as with synchronous=FULL, without blocking the event loop for the sync.
   */
  private async durably(fn: () => void): Promise<void> {
    const level = this.db.pragma('synchronous', { simple: true }) as number;
    if (this.wal) this.db.pragma('synchronous = NORMAL');
    try {
      this.db.transaction(fn)();
    } finally {
      this.db.pragma(`synchronous = ${level}`);
    }
    if (this.wal) await this.walSync.sync();
  }

  async chunks(id: DeviceId, fileId: string): Promise<Array<{ offset_bytes: number; size_bytes: number }>> {
    return this.stmt(
      'SELECT offset_bytes, size_bytes FROM file_chunks WHERE site = ? AND device = ? AND file_id = ? ORDER BY offset_bytes',
    ).all(id.site, id.device, fileId) as Array<{ offset_bytes: number; size_bytes: number }>;
  }

  async completeFile(
    id: DeviceId,
    fileId: string,
    path: string,
    sha256: string,
    nowMs: number,
  ): Promise<void> {
    this.stmt(
      `UPDATE files SET state = 'complete', path = ?, sha256 = ?, completed_at_ms = ? WHERE site = ? AND device = ? AND file_id = ?`,
    ).run(path, sha256, nowMs, id.site, id.device, fileId);
  }

  async resetFile(id: DeviceId, fileId: string): Promise<void> {
    this.stmt('DELETE FROM file_chunks WHERE site = ? AND device = ? AND file_id = ?').run(
      id.site,
      id.device,
      fileId,
    );
  }

  async bump(name: string, by = 1): Promise<void> {
    this.bumpSync(name, by);
  }

  private bumpSync(name: string, by = 1): void {
    this.stmt(
      'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value',
    ).run(name, by);
  }

  async devices(): Promise<DeviceRow[]> {
    return this.stmt(
      'SELECT site, device, state, last_seen_ms, versions, model, telemetry FROM devices ORDER BY site, device',
    ).all() as DeviceRow[];
  }

  async caseRecords(site: string, device: string): Promise<Array<{ record_id: string; payload: string }>> {
    return this.stmt(
      `SELECT record_id, payload FROM records WHERE site = ? AND device = ? AND kind = 'case' ORDER BY record_id`,
    ).all(site, device) as Array<{ record_id: string; payload: string }>;
  }

  async recordCounts(
    site: string,
    device: string,
    caseId: string,
  ): Promise<Array<{ kind: string; n: number }>> {
    return this.stmt(
      'SELECT kind, count(*) AS n FROM records WHERE site = ? AND device = ? AND case_id = ? GROUP BY kind',
    ).all(site, device, caseId) as Array<{ kind: string; n: number }>;
  }

  async completeFiles(site: string, device: string, caseId: string): Promise<number> {
    const r = this.stmt(
      `SELECT count(*) AS n FROM files WHERE site = ? AND device = ? AND case_id = ? AND state = 'complete'`,
    ).get(site, device, caseId) as { n: number };
    return r.n;
  }

  async close(): Promise<void> {
    await this.walSync.settled();
    await (await this.walFile?.catch(() => undefined))?.close();
    this.walFile = undefined;
    if (this.db.open) this.db.close();
  }
}
