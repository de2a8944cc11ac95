import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../daemon/log.js';
import type { Db } from '../daemon/store/index.js';
import { backoffMs } from './backoff.js';
import { FILE_CHECKSUM_MISMATCH, RESTART_FILE_CODES } from './file-codes.js';
import { OrderedHasher, sha256, sha256File } from './file-hash.js';
import type { FileResponseWaiter } from './file-responses.js';
import type { FileInit, FileMeta } from './messages.js';
import type { Outbox, OutboxItem } from './outbox.js';
import type { RateLimiter } from './rate-limiter.js';
import type { Publisher } from './record-sender.js';
import { relaxedWrite } from './relaxed-sync.js';
import { isFileId } from './topics.js';
import type { UploadWindow } from './upload-window.js';

export interface FileUploaderOptions {
  recordingsDir: string;
  chunkBytes: number;
  chunkWindow: number;
  retryMinMs: number;
  retryMaxMs: number;
}

interface RecordingRow {
  id: string;
  case_id: string;
  source_name: string;
  path: string;
  started_at: number;
  duration_ms: number;
  size_bytes: number | null;
  /** Hashed when the chunk was closed (null for rows from before, or a chunk cut short). */
  sha256: string | null;
}

interface FileState {
  file_id: string;
  size_bytes: number;
  sha256: string;
  chunk_bytes: number;
  init_acked_at: number | null;
}

/** Event types that open and close a span whose video is not uploaded. */
const EXCLUDE_OPEN = new Set(['out_of_body_in', 'out_of_body_started', 'recording_paused', 'case_paused']);
const EXCLUDE_CLOSE = new Set(['out_of_body_out', 'out_of_body_ended', 'recording_resumed', 'case_resumed']);

class Paused extends Error {}

/**
 * Uploads recordings with the EMQX file-transfer protocol: init, chunks with their sha256,
 * fin with the size and whole-file sha256. Each step waits for headquarters' response, which
 * it sends only after storing durably; acknowledged chunks are recorded in SQLite, so after an
 * outage or a crash the upload resumes after the last acknowledged chunk.
 */
export class FileUploader {
  private busy = false;
  bytesSent = 0;
  filesDone = 0;
  current: { fileId: string; ackedBytes: number; sizeBytes: number } | undefined;
  /** Outbox seq of the upload under way. */
  busySeq: number | undefined;

  constructor(
    private readonly db: Db,
    private readonly outbox: Outbox,
    private readonly link: Publisher,
    private readonly responses: FileResponseWaiter,
    private readonly fileRoot: string,
    private readonly window: UploadWindow,
    private readonly limiter: RateLimiter,
    private readonly options: FileUploaderOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get active(): boolean {
    return this.busy;
  }

  /** Starts the next due upload if none runs. Returns the running upload's promise. */
  tick(): Promise<void> | undefined {
    if (this.busy || !this.link.connected || !this.window.isOpen()) return undefined;
    const item = this.outbox.dueFile(this.now());
    if (!item) return undefined;
    this.busy = true;
    this.busySeq = item.seq;
    return this.upload(item)
      .catch((err: Error) => {
        const delayMs =
          err instanceof Paused
            ? 0
            : backoffMs(item.attempts, this.options.retryMinMs, this.options.retryMaxMs);
        this.outbox.defer(item.seq, this.now() + delayMs, this.now());
        if (!(err instanceof Paused))
          this.log.warn({ id: item.id, err: err.message, delayMs }, 'file upload interrupted; will resume');
      })
      .finally(() => {
        this.busy = false;
        this.busySeq = undefined;
        this.current = undefined;
      });
  }

  private async upload(item: OutboxItem): Promise<void> {
    const recordingId = parseRecordingId(item);
    const rec = recordingId
      ? (this.db
          .prepare(
            'SELECT id, case_id, source_name, path, started_at, duration_ms, size_bytes, sha256 FROM recordings WHERE id = ?',
          )
          .get(recordingId) as RecordingRow | undefined)
      : undefined;
    if (!rec) {
      this.drop(item, 'missing:recording_row');
      return;
    }
    if (this.isExcluded(rec)) {
      this.drop(item, 'excluded:out_of_body_or_paused');
      return;
    }
    const path = join(this.options.recordingsDir, rec.path);
    const sizeBytes = await stat(path).then(
      (s) => s.size,
      () => undefined,
    );
    if (sizeBytes === undefined) {
      this.drop(item, 'missing:file');
      return;
    }
    const state = this.fileState(item, rec, sizeBytes);
    const root = `${this.fileRoot}/${state.file_id}`;
    this.current = { fileId: state.file_id, ackedBytes: this.ackedBytes(state.file_id), sizeBytes };
    if (this.current.ackedBytes > 0) {
      this.log.info(
        { fileId: state.file_id, fromBytes: this.current.ackedBytes, sizeBytes },
        'resuming upload after the last acknowledged chunk',
      );
    }

    if (state.init_acked_at === null) {
      const meta: FileMeta = {
        recordingId: rec.id,
        caseId: rec.case_id,
        sourceName: rec.source_name,
        startedAtMs: rec.started_at,
        durationMs: rec.duration_ms,
        outboxId: item.id,
      };
      const init: FileInit = {
        name: rec.path.split('/').pop() ?? state.file_id,
        size: sizeBytes,
        checksum: state.sha256 || undefined,
        user_data: meta,
      };
      await this.request(`${root}/init`, Buffer.from(JSON.stringify(init)));
      // Bookkeeping only (init is idempotent at headquarters; if lost, it is sent again).
      relaxedWrite(this.db, () =>
        this.db
          .prepare('UPDATE sync_files SET init_acked_at = ? WHERE file_id = ?')
          .run(this.now(), state.file_id),
      );
    }

    const acked = new Set(
      (
        this.db
          .prepare('SELECT offset_bytes FROM sync_file_chunks WHERE file_id = ?')
          .all(state.file_id) as Array<{
          offset_bytes: number;
        }>
      ).map((r) => r.offset_bytes),
    );
    // The whole-file sha256 (needed only at fin): hashed from the chunks as they are read
    // when the upload starts from byte 0, else by reading the file alongside the upload.
    const ordered = !state.sha256 && acked.size === 0 ? new OrderedHasher() : undefined;
    const saveSha = (sum: string) => {
      this.db.prepare('UPDATE sync_files SET sha256 = ? WHERE file_id = ?').run(sum, state.file_id);
      return sum;
    };
    const early: Promise<string> | undefined = state.sha256
      ? Promise.resolve(state.sha256)
      : ordered
        ? undefined
        : sha256File(path).then(saveSha);
    early?.catch(() => undefined);
    const offsets: number[] = [];
    for (let o = 0; o < sizeBytes || (o === 0 && sizeBytes === 0); o += state.chunk_bytes) {
      if (!acked.has(o)) offsets.push(o);
      if (sizeBytes === 0) break;
    }
    const fh = await open(path, 'r');
    // Chunk buffers are reused once headquarters acknowledged their chunk (by then the broker
    // has acknowledged the publish, so the MQTT client no longer holds it): no fresh megabyte
    // of memory per chunk to fault in and collect.
    const spare: Buffer[] = [];
    try {
      let next = 0;
      const worker = async () => {
        while (next < offsets.length) {
          if (!this.link.connected || !this.window.isOpen()) throw new Paused('paused');
          const offset = offsets[next++]!;
          const len = Math.min(state.chunk_bytes, sizeBytes - offset);
          // Filled completely by the read below (a short read throws).
          const whole = spare.pop() ?? Buffer.allocUnsafeSlow(state.chunk_bytes);
          const buf = whole.subarray(0, len);
          const { bytesRead } = await fh.read(buf, 0, len, offset);
          if (bytesRead !== len) throw new Error(`short read at ${offset}: the file changed`);
          const sum = sha256(buf);
          ordered?.add(offset, buf);
          await this.limiter.take(len);
          const sentAt = performance.now();
          await this.request(`${root}/${offset}/${sum}`, buf).catch((err: unknown) => {
            this.restartIfAsked(err, state.file_id);
            throw err;
          });
          this.log.debug(
            { fileId: state.file_id, offset, rttMs: Math.round(performance.now() - sentAt) },
            'chunk acknowledged',
          );
          relaxedWrite(this.db, () =>
            this.db
              .prepare(
                'INSERT OR IGNORE INTO sync_file_chunks (file_id, offset_bytes, size_bytes, sha256, acked_at) VALUES (?, ?, ?, ?, ?)',
              )
              .run(state.file_id, offset, len, sum, this.now()),
          );
          this.bytesSent += len;
          if (this.current) this.current.ackedBytes += len;
          // Not while the running whole-file hash may still hold it (a chunk ahead of its turn).
          if (!ordered || ordered.upToBytes >= offset + len) spare.push(whole);
        }
      };
      const workers = Array.from({ length: Math.min(this.options.chunkWindow, offsets.length) }, worker);
      const results = await Promise.allSettled(workers);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      await fh.close();
    }

    try {
      const wholeSha =
        early ??
        (ordered && ordered.upToBytes === sizeBytes
          ? saveSha(ordered.digest())
          : saveSha(await sha256File(path)));
      await this.request(`${root}/fin/${sizeBytes}/${await wholeSha}`, Buffer.alloc(0));
    } catch (err) {
      if (await this.changedSinceRecording(err, rec, path)) {
        this.db.prepare('DELETE FROM sync_files WHERE file_id = ?').run(state.file_id);
        this.drop(item, 'corrupt:changed_since_recording');
        return;
      }
      this.restartIfAsked(err, state.file_id);
      throw err;
    }
    const nowMs = this.now();
    this.db.transaction(() => {
      this.db.prepare('UPDATE sync_files SET fin_acked_at = ? WHERE file_id = ?').run(nowMs, state.file_id);
      this.outbox.ack([item.id], nowMs);
    })();
    this.filesDone += 1;
    this.log.info({ fileId: state.file_id, sizeBytes }, 'file uploaded and stored at headquarters');
  }

  /**
   * Headquarters found the whole file's sha256 different from the one taken when the chunk was
   * recorded. If the file on disk no longer hashes to it either, the video changed after it was
   * recorded (disk fault, tampering): it is not uploaded as if it were the recording, and IT
   * sees why in the log and the outbox. Otherwise the transfer went wrong: start over.
   */
  private async changedSinceRecording(err: unknown, rec: RecordingRow, path: string): Promise<boolean> {
    if ((err as { reasonCode?: number }).reasonCode !== FILE_CHECKSUM_MISMATCH || !rec.sha256) return false;
    const actual = await sha256File(path).catch(() => undefined);
    if (actual === undefined || actual === rec.sha256) return false;
    this.log.error(
      { recordingId: rec.id, recorded: rec.sha256, onDisk: actual },
      'recording changed on disk since it was recorded (sha256 differs); not uploaded',
    );
    return true;
  }

  /** Headquarters' copy no longer matches what we recorded: start this file over. */
  private restartIfAsked(err: unknown, fileId: string): void {
    const code = (err as { reasonCode?: number }).reasonCode;
    if (code === undefined || !RESTART_FILE_CODES.has(code)) return;
    this.db.prepare('DELETE FROM sync_files WHERE file_id = ?').run(fileId);
    this.log.error(
      { fileId, code, reason: (err as Error).message },
      'headquarters asked to start this file over',
    );
  }

  private request(topic: string, payload: Buffer): Promise<void> {
    const waiting = this.responses.wait(topic);
    this.link.publish(topic, payload).catch((err: Error) => this.responses.fail(topic, err));
    return waiting;
  }

  private fileState(item: OutboxItem, rec: RecordingRow, sizeBytes: number): FileState {
    const fileId = isFileId(rec.id) ? rec.id : `r-${sha256(Buffer.from(rec.id)).slice(0, 32)}`;
    const existing = this.db
      .prepare(
        'SELECT file_id, size_bytes, sha256, chunk_bytes, init_acked_at FROM sync_files WHERE file_id = ?',
      )
      .get(fileId) as FileState | undefined;
    if (existing && existing.size_bytes === sizeBytes) return existing;
    if (existing) this.db.prepare('DELETE FROM sync_files WHERE file_id = ?').run(fileId);
    // The whole-file sha256 taken when the chunk was closed, when the file still has that size;
    // else it is computed while the chunks go out (see upload); '' = not yet.
    const sum = rec.sha256 && rec.size_bytes === sizeBytes ? rec.sha256 : '';
    const state: FileState = {
      file_id: fileId,
      size_bytes: sizeBytes,
      sha256: sum,
      chunk_bytes: this.options.chunkBytes,
      init_acked_at: null,
    };
    // Bookkeeping: if a power loss takes it, the upload starts over and headquarters, which has
    // the same file id, size and checksum, stores what it already has once.
    relaxedWrite(this.db, () =>
      this.db
        .prepare(
          `INSERT INTO sync_files (file_id, outbox_id, recording_id, size_bytes, sha256, chunk_bytes, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(fileId, item.id, rec.id, sizeBytes, sum, state.chunk_bytes, this.now()),
    );
    return state;
  }

  private ackedBytes(fileId: string): number {
    const r = this.db
      .prepare('SELECT coalesce(sum(size_bytes), 0) AS n FROM sync_file_chunks WHERE file_id = ?')
      .get(fileId) as { n: number };
    return r.n;
  }

  /** True when the whole chunk lies inside an out-of-body or paused span of its case. */
  private isExcluded(rec: RecordingRow): boolean {
    const events = this.db
      .prepare('SELECT at, type FROM events WHERE case_id = ? ORDER BY at')
      .all(rec.case_id) as Array<{ at: number; type: string }>;
    const start = rec.started_at;
    const end = rec.started_at + rec.duration_ms;
    let openAt: number | undefined;
    for (const e of events) {
      if (EXCLUDE_OPEN.has(e.type) && openAt === undefined) openAt = e.at;
      else if (EXCLUDE_CLOSE.has(e.type) && openAt !== undefined) {
        if (openAt <= start && e.at >= end) return true;
        openAt = undefined;
      }
    }
    return openAt !== undefined && openAt <= start;
  }

  private drop(item: OutboxItem, reason: string): void {
    this.outbox.drop(item.seq, reason, this.now());
    const log = reason.startsWith('excluded:') ? this.log.info.bind(this.log) : this.log.warn.bind(this.log);
    log({ id: item.id, reason }, 'file not uploaded');
  }
}

function parseRecordingId(item: OutboxItem): string | undefined {
  try {
    const p = JSON.parse(item.payload?.toString() ?? '') as { recordingId?: unknown };
    return typeof p.recordingId === 'string' ? p.recordingId : undefined;
  } catch {
    return undefined;
  }
}
