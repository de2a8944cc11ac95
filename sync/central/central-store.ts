import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { RecordEnvelope } from '../messages.js';
import type { DeviceId } from '../topics.js';

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

export interface StoredBatch {
  /** Ids to acknowledge, per device (new and duplicates alike). */
  acks: Map<string, { id: DeviceId; ids: string[] }>;
  stored: number;
  duplicates: number;
}

export interface FileRow {
  site: string;
  device: string;
  file_id: string;
  case_id: string | null;
  recording_id: string | null;
  name: string;
  size_bytes: number;
  sha256: string | null;
  state: 'receiving' | 'complete';
  path: string | null;
}

/**
 * Headquarters' store (SQLite, WAL, synchronous=FULL so a commit is on disk before we ack).
 * Several ingest processes may share it; each write is one short transaction.
 */
export class CentralStore {
  private constructor(readonly db: CentralDb) {}

  static open(file: string): CentralStore {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file, { timeout: 10_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
    return new CentralStore(db);
  }

  /** Stores a batch of records in one transaction; a record received twice is stored once. */
  storeRecords(batch: ReadonlyArray<{ id: DeviceId; env: RecordEnvelope }>, nowMs: number): StoredBatch {
    const msg = this.db.prepare(
      'INSERT INTO messages (site, device, msg_id, seq, received_at_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    const rec = this.db.prepare(
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
      if (result.duplicates > 0) this.bump('duplicates', result.duplicates);
    })();
    return result;
  }

  touch(id: DeviceId, nowMs: number): void {
    this.db
      .prepare(
        `INSERT INTO devices (site, device, first_seen_ms, last_seen_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT (site, device) DO UPDATE SET last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`,
      )
      .run(id.site, id.device, nowMs, nowMs);
  }

  setStatus(
    id: DeviceId,
    state: string,
    versions: unknown,
    model: string | null,
    atMs: number,
    nowMs: number,
  ): void {
    this.touch(id, nowMs);
    this.db
      .prepare(
        'UPDATE devices SET state = ?, versions = ?, model = ?, status_at_ms = ? WHERE site = ? AND device = ?',
      )
      .run(state, JSON.stringify(versions), model, atMs, id.site, id.device);
  }

  setTelemetry(id: DeviceId, telemetry: unknown, nowMs: number): void {
    this.touch(id, nowMs);
    this.db
      .prepare('UPDATE devices SET telemetry = ?, telemetry_at_ms = ? WHERE site = ? AND device = ?')
      .run(JSON.stringify(telemetry), nowMs, id.site, id.device);
  }

  file(id: DeviceId, fileId: string): FileRow | undefined {
    return this.db
      .prepare(
        'SELECT site, device, file_id, case_id, recording_id, name, size_bytes, sha256, state, path FROM files WHERE site = ? AND device = ? AND file_id = ?',
      )
      .get(id.site, id.device, fileId) as FileRow | undefined;
  }

  /** init: remembers the file (idempotent; a different size or checksum restarts it). */
  initFile(
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
  ): void {
    this.db.transaction(() => {
      this.touch(id, nowMs);
      const existing = this.file(id, fileId);
      if (existing && existing.size_bytes === f.sizeBytes && existing.sha256 === f.sha256) return;
      this.db
        .prepare('DELETE FROM file_chunks WHERE site = ? AND device = ? AND file_id = ?')
        .run(id.site, id.device, fileId);
      this.db
        .prepare(
          `INSERT OR REPLACE INTO files (site, device, file_id, case_id, recording_id, name, size_bytes, sha256, meta, state, created_at_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'receiving', ?)`,
        )
        .run(
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
    })();
  }

  addChunk(
    id: DeviceId,
    fileId: string,
    offsetBytes: number,
    sizeBytes: number,
    sha256: string | null,
  ): boolean {
    const before = this.db
      .prepare('SELECT 1 FROM file_chunks WHERE site = ? AND device = ? AND file_id = ? AND offset_bytes = ?')
      .get(id.site, id.device, fileId, offsetBytes);
    if (before) this.bump('chunks_resent');
    this.db
      .prepare(
        'INSERT OR REPLACE INTO file_chunks (site, device, file_id, offset_bytes, size_bytes, sha256) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(id.site, id.device, fileId, offsetBytes, sizeBytes, sha256);
    return before === undefined;
  }

  chunks(id: DeviceId, fileId: string): Array<{ offset_bytes: number; size_bytes: number }> {
    return this.db
      .prepare(
        'SELECT offset_bytes, size_bytes FROM file_chunks WHERE site = ? AND device = ? AND file_id = ? ORDER BY offset_bytes',
      )
      .all(id.site, id.device, fileId) as Array<{ offset_bytes: number; size_bytes: number }>;
  }

  completeFile(id: DeviceId, fileId: string, path: string, sha256: string, nowMs: number): void {
    this.db
      .prepare(
        `UPDATE files SET state = 'complete', path = ?, sha256 = ?, completed_at_ms = ? WHERE site = ? AND device = ? AND file_id = ?`,
      )
      .run(path, sha256, nowMs, id.site, id.device, fileId);
  }

  resetFile(id: DeviceId, fileId: string): void {
    this.db
      .prepare('DELETE FROM file_chunks WHERE site = ? AND device = ? AND file_id = ?')
      .run(id.site, id.device, fileId);
  }

  bump(name: string, by = 1): void {
    this.db
      .prepare(
        'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value',
      )
      .run(name, by);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The row a record describes: its `id`, or `seq` for the audit log. */
function recordId(env: RecordEnvelope): string {
  const d = env.data as { id?: unknown; seq?: unknown };
  if (typeof d.id === 'string' || typeof d.id === 'number') return String(d.id);
  if (typeof d.seq === 'number') return String(d.seq);
  return env.id;
}
