import type { RecordEnvelope } from '../messages.js';
import type { DeviceId } from '../topics.js';

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

export interface NewFile {
  name: string;
  sizeBytes: number;
  sha256: string | null;
  caseId: string | null;
  recordingId: string | null;
  meta: string | null;
}

export interface DeviceRow {
  site: string;
  device: string;
  state: string | null;
  last_seen_ms: number;
  versions: string | null;
  model: string | null;
  telemetry: string | null;
}

/** A chunk written and synced to its part file, to be recorded. */
export interface NewChunk {
  id: DeviceId;
  fileId: string;
  offsetBytes: number;
  sizeBytes: number;
  sha256: string | null;
}

/**
 * Where orsight-central keeps what devices send: SQLite by default, PostgreSQL when
 * configured. Every method returns once the write is durable (committed and synced).
 */
export interface CentralBackend {
  /** Stores a batch in one transaction; a record received twice is stored once. */
  storeRecords(
    batch: ReadonlyArray<{ id: DeviceId; env: RecordEnvelope }>,
    nowMs: number,
  ): Promise<StoredBatch>;
  setStatus(
    id: DeviceId,
    state: string,
    versions: unknown,
    model: string | null,
    atMs: number,
    nowMs: number,
  ): Promise<void>;
  setTelemetry(id: DeviceId, telemetry: unknown, nowMs: number): Promise<void>;
  file(id: DeviceId, fileId: string): Promise<FileRow | undefined>;
  /** init: remembers the file (idempotent; a different size or checksum restarts it). */
  initFile(id: DeviceId, fileId: string, f: NewFile, nowMs: number): Promise<void>;
  /**
   * Records stored chunks in one transaction (durable when it resolves); a chunk recorded
   * before (a resend) is counted as chunks_resent.
   */
  addChunks(chunks: readonly NewChunk[]): Promise<void>;
  chunks(id: DeviceId, fileId: string): Promise<Array<{ offset_bytes: number; size_bytes: number }>>;
  completeFile(id: DeviceId, fileId: string, path: string, sha256: string, nowMs: number): Promise<void>;
  resetFile(id: DeviceId, fileId: string): Promise<void>;
  bump(name: string, by?: number): Promise<void>;
  // Fleet view.
  devices(): Promise<DeviceRow[]>;
  caseRecords(site: string, device: string): Promise<Array<{ record_id: string; payload: string }>>;
  recordCounts(site: string, device: string, caseId: string): Promise<Array<{ kind: string; n: number }>>;
  completeFiles(site: string, device: string, caseId: string): Promise<number>;
  close(): Promise<void>;
}

/** The row a record describes: its `id`, or `seq` for the audit log. */
export function recordId(env: RecordEnvelope): string {
  const d = env.data as { id?: unknown; seq?: unknown };
  if (typeof d.id === 'string' || typeof d.id === 'number') return String(d.id);
  if (typeof d.seq === 'number') return String(d.seq);
  return env.id;
}
