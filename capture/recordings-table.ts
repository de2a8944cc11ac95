import { randomUUID } from 'node:crypto';
import type { Store } from '../daemon/store/index.js';
import type { RecordingChunk } from './types.js';

/**
 * Stores a closed chunk in `recordings` once (the path is unique, migration 2), with its
 * sha256. Returns false when the case is not in the database (the row would break its key).
 */
export function insertChunk(store: Store, chunk: RecordingChunk): boolean {
  const db = store.db;
  if (!db.prepare('SELECT 1 FROM cases WHERE id = ?').get(chunk.caseId)) return false;
  db.prepare(
    `INSERT OR IGNORE INTO recordings (id, case_id, source_name, path, started_at, duration_ms, size_bytes, sha256)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    randomUUID(),
    chunk.caseId,
    chunk.source,
    chunk.path,
    Math.round(chunk.startedAtMs),
    Math.round(chunk.durationMs),
    chunk.sizeBytes,
    chunk.sha256 ?? null,
  );
  return true;
}
