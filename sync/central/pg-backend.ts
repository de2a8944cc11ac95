import pg from 'pg';
import type { RecordEnvelope } from '../messages.js';
import type { DeviceId } from '../topics.js';
import {
  type CentralBackend,
  type DeviceRow,
  type FileRow,
  type NewChunk,
  type NewFile,
  recordId,
  type StoredBatch,
} from './backend.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS devices (
  site TEXT NOT NULL, device TEXT NOT NULL,
  first_seen_ms BIGINT NOT NULL, last_seen_ms BIGINT NOT NULL,
  state TEXT, versions TEXT, model TEXT, status_at_ms BIGINT,
  telemetry TEXT, telemetry_at_ms BIGINT,
  PRIMARY KEY (site, device));
CREATE TABLE IF NOT EXISTS messages (
  site TEXT NOT NULL, device TEXT NOT NULL, msg_id TEXT NOT NULL,
  seq BIGINT NOT NULL, received_at_ms BIGINT NOT NULL,
  PRIMARY KEY (site, device, msg_id));
CREATE TABLE IF NOT EXISTS records (
  site TEXT NOT NULL, device TEXT NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL,
  case_id TEXT, seq BIGINT NOT NULL, msg_id TEXT NOT NULL, payload TEXT NOT NULL,
  received_at_ms BIGINT NOT NULL,
  PRIMARY KEY (site, device, kind, record_id));
CREATE INDEX IF NOT EXISTS records_case ON records (site, device, case_id, kind);
CREATE TABLE IF NOT EXISTS files (
  site TEXT NOT NULL, device TEXT NOT NULL, file_id TEXT NOT NULL,
  case_id TEXT, recording_id TEXT, name TEXT NOT NULL, size_bytes BIGINT NOT NULL,
  sha256 TEXT, meta TEXT, state TEXT NOT NULL, path TEXT,
  created_at_ms BIGINT NOT NULL, completed_at_ms BIGINT,
  PRIMARY KEY (site, device, file_id));
CREATE TABLE IF NOT EXISTS file_chunks (
  site TEXT NOT NULL, device TEXT NOT NULL, file_id TEXT NOT NULL,
  offset_bytes BIGINT NOT NULL, size_bytes BIGINT NOT NULL, sha256 TEXT,
  PRIMARY KEY (site, device, file_id, offset_bytes));
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
`;

// BIGINT columns come back as strings by default; our values are ms and byte counts (< 2^53).
pg.types.setTypeParser(20, (v: string) => Number(v));

/**
 * orsight-central's PostgreSQL store (when configured with --postgres): the same tables and
 * the same idempotent writes as the SQLite store. A commit returns after PostgreSQL made it
 * durable (synchronous_commit on, the default), so acknowledgements still follow storage.
 */
export class PgBackend implements CentralBackend {
  private constructor(private readonly pool: pg.Pool) {}

  static async open(connectionString: string): Promise<PgBackend> {
    const pool = new pg.Pool({ connectionString, max: 4 });
    const client = await pool.connect();
    try {
      // One ingest process creates the schema at a time.
      await client.query('SELECT pg_advisory_lock(7242)');
      await client.query(SCHEMA);
      await client.query('SELECT pg_advisory_unlock(7242)');
    } finally {
      client.release();
    }
    return new PgBackend(pool);
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  private touch(c: pg.PoolClient | pg.Pool, id: DeviceId, nowMs: number) {
    return c.query(
      `INSERT INTO devices (site, device, first_seen_ms, last_seen_ms) VALUES ($1, $2, $3, $3)
       ON CONFLICT (site, device) DO UPDATE SET last_seen_ms = GREATEST(devices.last_seen_ms, excluded.last_seen_ms)`,
      [id.site, id.device, nowMs],
    );
  }

  storeRecords(
    batch: ReadonlyArray<{ id: DeviceId; env: RecordEnvelope }>,
    nowMs: number,
  ): Promise<StoredBatch> {
    return this.tx(async (c) => {
      const result: StoredBatch = { acks: new Map(), stored: 0, duplicates: 0 };
      for (const { id, env } of batch) {
        const key = `${id.site}/${id.device}`;
        let entry = result.acks.get(key);
        if (!entry) {
          entry = { id, ids: [] };
          result.acks.set(key, entry);
        }
        entry.ids.push(env.id);
        const m = await c.query(
          `INSERT INTO messages (site, device, msg_id, seq, received_at_ms) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING`,
          [id.site, id.device, env.id, env.seq, nowMs],
        );
        if (m.rowCount === 0) {
          result.duplicates += 1;
          continue;
        }
        result.stored += 1;
        await c.query(
          `INSERT INTO records (site, device, kind, record_id, case_id, seq, msg_id, payload, received_at_ms)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (site, device, kind, record_id) DO UPDATE SET
             case_id = excluded.case_id, seq = excluded.seq, msg_id = excluded.msg_id,
             payload = excluded.payload, received_at_ms = excluded.received_at_ms
           WHERE excluded.seq > records.seq`,
          [
            id.site,
            id.device,
            env.kind,
            recordId(env),
            env.caseId,
            env.seq,
            env.id,
            JSON.stringify(env.data),
            nowMs,
          ],
        );
      }
      for (const { id } of result.acks.values()) await this.touch(c, id, nowMs);
      if (result.duplicates > 0) await this.bumpWith(c, 'duplicates', result.duplicates);
      return result;
    });
  }

  async setStatus(
    id: DeviceId,
    state: string,
    versions: unknown,
    model: string | null,
    atMs: number,
    nowMs: number,
  ): Promise<void> {
    await this.tx(async (c) => {
      await this.touch(c, id, nowMs);
      await c.query(
        'UPDATE devices SET state = $1, versions = $2, model = $3, status_at_ms = $4 WHERE site = $5 AND device = $6',
        [state, JSON.stringify(versions), model, atMs, id.site, id.device],
      );
    });
  }

  async setTelemetry(id: DeviceId, telemetry: unknown, nowMs: number): Promise<void> {
    await this.tx(async (c) => {
      await this.touch(c, id, nowMs);
      await c.query(
        'UPDATE devices SET telemetry = $1, telemetry_at_ms = $2 WHERE site = $3 AND device = $4',
        [JSON.stringify(telemetry), nowMs, id.site, id.device],
      );
    });
  }

  private async fileWith(
    c: pg.PoolClient | pg.Pool,
    id: DeviceId,
    fileId: string,
  ): Promise<FileRow | undefined> {
    const r = await c.query(
      'SELECT site, device, file_id, case_id, recording_id, name, size_bytes, sha256, state, path FROM files WHERE site = $1 AND device = $2 AND file_id = $3',
      [id.site, id.device, fileId],
    );
    return r.rows[0] as FileRow | undefined;
  }

  file(id: DeviceId, fileId: string): Promise<FileRow | undefined> {
    return this.fileWith(this.pool, id, fileId);
  }

  async initFile(id: DeviceId, fileId: string, f: NewFile, nowMs: number): Promise<void> {
    await this.tx(async (c) => {
      await this.touch(c, id, nowMs);
      const existing = await this.fileWith(c, id, fileId);
      if (existing && existing.size_bytes === f.sizeBytes && existing.sha256 === f.sha256) return;
      await c.query('DELETE FROM file_chunks WHERE site = $1 AND device = $2 AND file_id = $3', [
        id.site,
        id.device,
        fileId,
      ]);
      await c.query(
        `INSERT INTO files (site, device, file_id, case_id, recording_id, name, size_bytes, sha256, meta, state, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'receiving', $10)
         ON CONFLICT (site, device, file_id) DO UPDATE SET case_id = excluded.case_id, recording_id = excluded.recording_id,
           name = excluded.name, size_bytes = excluded.size_bytes, sha256 = excluded.sha256, meta = excluded.meta,
           state = 'receiving', path = NULL, created_at_ms = excluded.created_at_ms, completed_at_ms = NULL`,
        [id.site, id.device, fileId, f.caseId, f.recordingId, f.name, f.sizeBytes, f.sha256, f.meta, nowMs],
      );
    });
  }

  async addChunks(chunks: readonly NewChunk[]): Promise<void> {
    await this.tx(async (c) => {
      let resent = 0;
      for (const k of chunks) {
        const r = await c.query(
          `INSERT INTO file_chunks (site, device, file_id, offset_bytes, size_bytes, sha256) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (site, device, file_id, offset_bytes) DO UPDATE SET size_bytes = excluded.size_bytes, sha256 = excluded.sha256
           RETURNING (xmax = 0) AS inserted`,
          [k.id.site, k.id.device, k.fileId, k.offsetBytes, k.sizeBytes, k.sha256],
        );
        if (!(r.rows[0] as { inserted: boolean }).inserted) resent += 1;
      }
      if (resent > 0) await this.bumpWith(c, 'chunks_resent', resent);
    });
  }

  async chunks(id: DeviceId, fileId: string): Promise<Array<{ offset_bytes: number; size_bytes: number }>> {
    const r = await this.pool.query(
      'SELECT offset_bytes, size_bytes FROM file_chunks WHERE site = $1 AND device = $2 AND file_id = $3 ORDER BY offset_bytes',
      [id.site, id.device, fileId],
    );
    return r.rows as Array<{ offset_bytes: number; size_bytes: number }>;
  }

  async completeFile(
    id: DeviceId,
    fileId: string,
    path: string,
    sha256: string,
    nowMs: number,
  ): Promise<void> {
    await this.pool.query(
      `UPDATE files SET state = 'complete', path = $1, sha256 = $2, completed_at_ms = $3 WHERE site = $4 AND device = $5 AND file_id = $6`,
      [path, sha256, nowMs, id.site, id.device, fileId],
    );
  }

  async resetFile(id: DeviceId, fileId: string): Promise<void> {
    await this.pool.query('DELETE FROM file_chunks WHERE site = $1 AND device = $2 AND file_id = $3', [
      id.site,
      id.device,
      fileId,
    ]);
  }

  private async bumpWith(c: pg.PoolClient | pg.Pool, name: string, by: number): Promise<void> {
    await c.query(
      'INSERT INTO counters (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value',
      [name, by],
    );
  }

  bump(name: string, by = 1): Promise<void> {
    return this.bumpWith(this.pool, name, by);
  }

  async devices(): Promise<DeviceRow[]> {
    const r = await this.pool.query(
      'SELECT site, device, state, last_seen_ms, versions, model, telemetry FROM devices ORDER BY site, device',
    );
    return r.rows as DeviceRow[];
  }

  async caseRecords(site: string, device: string): Promise<Array<{ record_id: string; payload: string }>> {
    const r = await this.pool.query(
      `SELECT record_id, payload FROM records WHERE site = $1 AND device = $2 AND kind = 'case' ORDER BY record_id`,
      [site, device],
    );
    return r.rows as Array<{ record_id: string; payload: string }>;
  }

  async recordCounts(
    site: string,
    device: string,
    caseId: string,
  ): Promise<Array<{ kind: string; n: number }>> {
    const r = await this.pool.query(
      'SELECT kind, count(*)::int AS n FROM records WHERE site = $1 AND device = $2 AND case_id = $3 GROUP BY kind',
      [site, device, caseId],
    );
    return r.rows as Array<{ kind: string; n: number }>;
  }

  async completeFiles(site: string, device: string, caseId: string): Promise<number> {
    const r = await this.pool.query(
      `SELECT count(*)::int AS n FROM files WHERE site = $1 AND device = $2 AND case_id = $3 AND state = 'complete'`,
      [site, device, caseId],
    );
    return (r.rows[0] as { n: number }).n;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
