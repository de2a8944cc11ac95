import type { Logger } from '../../daemon/log.js';
import {
  FILE_CHECKSUM_MISMATCH as CHECKSUM_MISMATCH,
  FILE_MISSING_SEGMENTS,
  FILE_UNKNOWN,
  FILE_OK as OK,
  FILE_UNSPECIFIED as UNSPECIFIED,
} from '../file-codes.js';
import { OrderedHasher, sha256 } from '../file-hash.js';
import {
  type AckMessage,
  type FileResponse,
  isDownloadRequest,
  isFileInit,
  isFileMeta,
  isRecordEnvelope,
  isStatusMessage,
  isTelemetryMessage,
  parseJson,
  type RecordEnvelope,
} from '../messages.js';
import type { MqttLink } from '../mqtt-link.js';
import {
  type DeviceId,
  defaultClientId,
  deviceTopics,
  type FileStep,
  fileResponseTopic,
  parseDeviceTopic,
  TOPIC_ROOT,
} from '../topics.js';
import type { CentralBackend, NewChunk, StoredBatch } from './backend.js';
import type { FileStore } from './file-store.js';
import type { ModelStore } from './model-store.js';
import type { StoredObject } from './s3-store.js';

/** Segments (and bytes) held for the running whole-file hash while an earlier one is to come. */
const HASH_WAITING_MAX = 64;
const HASH_WAITING_MAX_BYTES = 32 * 1_048_576;

export interface IngestOptions {
  shareGroup: string;
  /** Records are committed together: at most this many per transaction. */
  batchMax: number;
  /** Test hook (crash tests): SIGKILL this process after storing this many records, before acking. */
  killAfterStored?: number;
  /**
   * Where completed files go (S3-compatible bucket); undefined = they stay in the directory.
   * With it, the directory holds only the part files being received.
   */
  objects?: ObjectStore;
  /** Test hook (crash tests): SIGKILL this process once the bucket has a file, before recording it. */
  killAfterObjectPut?: boolean;
}

/** A store for completed files (S3FileStore). */
export interface ObjectStore {
  /** Stores the verified file at path; resolves once the store confirmed it (idempotent). */
  put(id: DeviceId, fileId: string, path: string, sizeBytes: number, sha256: string): Promise<StoredObject>;
}

/** The MQTT subscriptions of an ingest process (shared, so several processes share the load). */
export function ingestSubscriptions(shareGroup: string): string[] {
  const share = `$share/${shareGroup}/${TOPIC_ROOT}/+/+`;
  // Retained status is not delivered on shared subscriptions, so every instance reads it.
  return [
    `${share}/rec/+`,
    `${share}/file/#`,
    `${share}/telemetry`,
    `${share}/dl-req`,
    `${TOPIC_ROOT}/+/+/status`,
  ];
}

/**
 * orsight-central's ingest: validates what devices publish, stores it durably (SQLite commit
 * with synchronous=FULL, file chunks fsynced), and only then acknowledges. Malformed input is
 * logged and counted, never fatal.
 */
export class Ingest {
  private pending: Array<{ id: DeviceId; env: RecordEnvelope }> = [];
  private flushScheduled = false;
  /**
   * init and fin of each file, in arrival order (one chain per file, so a slow fin, e.g. an
   * upload to S3, does not hold up other files' steps).
   */
  private readonly fileQueues = new Map<string, Promise<void>>();
  private readonly segmentsInFlight = new Set<Promise<void>>();
  /** Running whole-file sha256 per file being received in order (bounded by files in progress). */
  private readonly hashing = new Map<string, { hasher: OrderedHasher; sizeBytes: number }>();
  private flushChain: Promise<void> = Promise.resolve();
  /** Chunks on disk waiting to be recorded, committed together (one transaction per batch). */
  private chunkRows: Array<{ chunk: NewChunk; done: (err?: Error) => void }> = [];
  private chunkFlushScheduled = false;
  private chunkChain: Promise<void> = Promise.resolve();
  storedTotal = 0;
  duplicatesTotal = 0;
  rejectedTotal = 0;

  constructor(
    private readonly store: CentralBackend,
    private readonly files: FileStore,
    private readonly models: ModelStore,
    private readonly link: Pick<MqttLink, 'publish' | 'connected'>,
    private readonly options: IngestOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  onMessage(topic: string, payload: Buffer): void {
    try {
      const problem = this.route(topic, payload);
      if (problem !== undefined) this.reject(topic, problem);
    } catch (err) {
      this.reject(topic, `handler failed: ${(err as Error).message}`);
    }
  }

  /** Handles one message; returns the problem when it is rejected. */
  private route(topic: string, payload: Buffer): string | undefined {
    const t = parseDeviceTopic(topic);
    if (!t) return 'not an orsight device topic';
    switch (t.type) {
      case 'record': {
        const env = parseJson(payload);
        if (!isRecordEnvelope(env)) return isRecordEnvelope.error() || 'not JSON';
        if (env.kind !== t.kind) return `kind "${env.kind}" does not match the topic`;
        this.pending.push({ id: t.id, env });
        if (this.pending.length >= this.options.batchMax) void this.flush();
        else if (!this.flushScheduled) {
          this.flushScheduled = true;
          setImmediate(() => void this.flush());
        }
        return;
      }
      case 'status': {
        if (payload.length === 0) return undefined; // retained status cleared
        const msg = parseJson(payload);
        if (!isStatusMessage(msg)) return isStatusMessage.error() || 'not JSON';
        void this.store
          .setStatus(t.id, msg.state, msg.versions, msg.model, msg.atMs, this.now())
          .catch((err: Error) => this.log.error({ err: err.message }, 'status not stored'));
        return;
      }
      case 'telemetry': {
        const msg = parseJson(payload);
        if (!isTelemetryMessage(msg)) return isTelemetryMessage.error() || 'not JSON';
        void this.store
          .setTelemetry(t.id, msg, this.now())
          .catch((err: Error) => this.log.error({ err: err.message }, 'telemetry not stored'));
        return;
      }
      case 'file': {
        const { id, fileId, step } = t;
        // Checked here, synchronously, so the running whole-file hash sees segments in arrival order.
        const shaOk = step.kind !== 'segment' || !step.sha256 || sha256(payload) === step.sha256;
        if (step.kind === 'segment' && shaOk)
          this.hashInOrder(`${id.site}/${id.device}/${fileId}`, step.offsetBytes, payload);
        const run = () =>
          this.onFile(id, fileId, step, payload, topic, shaOk).catch((err: Error) => {
            this.log.error({ topic, err: err.message }, 'file step failed');
            return this.respond(id, topic, UNSPECIFIED, `storage error: ${err.message}`);
          });
        if (step.kind === 'segment') {
          // Segments are written (and fsynced) concurrently; init and fin run in order, and
          // fin only after every segment received before it is stored.
          const p = run();
          this.segmentsInFlight.add(p);
          void p.finally(() => this.segmentsInFlight.delete(p));
        } else {
          const key = `${id.site}/${id.device}/${fileId}`;
          const before = this.segmentsInFlight.size > 0 ? [...this.segmentsInFlight] : [];
          const next = (this.fileQueues.get(key) ?? Promise.resolve()).then(async () => {
            if (step.kind === 'fin') await Promise.all(before);
            return run();
          });
          this.fileQueues.set(key, next);
          void next.finally(() => {
            if (this.fileQueues.get(key) === next) this.fileQueues.delete(key);
          });
        }
        return;
      }
      case 'dl-req': {
        const req = parseJson(payload);
        if (!isDownloadRequest(req)) return isDownloadRequest.error() || 'not JSON';
        const topics = deviceTopics(t.id);
        void this.models
          .read(req.fileId, req.offsetBytes, req.lengthBytes)
          .then((data) => this.link.publish(topics.download(req.fileId, req.offsetBytes), data))
          .catch((err: Error) => {
            this.log.warn({ fileId: req.fileId, err: err.message }, 'model download request failed');
            return this.link
              .publish(topics.download(req.fileId, 'error'), err.message)
              .catch(() => undefined);
          });
        return undefined;
      }
      default:
        return 'devices may not publish here';
    }
  }

  /** Commits pending records in one transaction, then acknowledges them (one flush at a time). */
  flush(): Promise<void> {
    this.flushScheduled = false;
    if (this.pending.length === 0) return this.flushChain;
    const batch = this.pending;
    this.pending = [];
    this.flushChain = this.flushChain
      .then(() => this.store.storeRecords(batch, this.now()))
      .then(
        (result) => this.afterStored(result),
        (err: Error) =>
          this.log.error(
            { err: err.message, records: batch.length },
            'records not stored; the devices will send them again',
          ),
      );
    return this.flushChain;
  }

  private afterStored(result: StoredBatch): void {
    this.storedTotal += result.stored;
    this.duplicatesTotal += result.duplicates;
    this.log.debug({ stored: result.stored, duplicates: result.duplicates }, 'records stored');
    if (this.options.killAfterStored !== undefined && this.storedTotal >= this.options.killAfterStored) {
      this.log.warn({ stored: this.storedTotal }, 'fault injection: SIGKILL before acknowledging');
      process.kill(process.pid, 'SIGKILL');
    }
    for (const { id, ids } of result.acks.values()) {
      const ack: AckMessage = { v: 1, ids, atMs: this.now() };
      this.link.publish(deviceTopics(id).ack, JSON.stringify(ack)).catch((err: Error) =>
        // The device sends again when no ack comes; the store keeps the id once.
        this.log.warn({ device: `${id.site}/${id.device}`, err: err.message }, 'ack not published'),
      );
    }
  }

  private async onFile(
    id: DeviceId,
    fileId: string,
    step: FileStep,
    payload: Buffer,
    topic: string,
    shaOk: boolean,
  ): Promise<void> {
    const nowMs = this.now();
    if (step.kind === 'init') {
      const init = parseJson(payload);
      if (!isFileInit(init)) {
        this.reject(topic, isFileInit.error() || 'not JSON');
        return this.respond(id, topic, UNSPECIFIED, 'invalid init payload');
      }
      const meta: unknown = init.user_data;
      const m = isFileMeta(meta) ? meta : undefined;
      const existing = await this.store.file(id, fileId);
      if (
        existing?.state === 'complete' &&
        existing.sha256 === (init.checksum ?? existing.sha256) &&
        existing.size_bytes === init.size
      ) {
        return this.respond(id, topic, OK, 'already stored');
      }
      await this.store.initFile(
        id,
        fileId,
        {
          name: init.name,
          sizeBytes: init.size,
          sha256: init.checksum ?? null,
          caseId: m?.caseId ?? null,
          recordingId: m?.recordingId ?? null,
          meta: m ? JSON.stringify(m) : null,
        },
        nowMs,
      );
      const key = `${id.site}/${id.device}/${fileId}`;
      if ((await this.store.chunks(id, fileId)).length === 0) {
        this.hashing.set(key, { hasher: new OrderedHasher(), sizeBytes: init.size });
      }
      return this.respond(id, topic, OK, 'init stored');
    }
    const file = await this.store.file(id, fileId);
    if (!file) return this.respond(id, topic, FILE_UNKNOWN, 'unknown file: send init first');
    if (step.kind === 'segment') {
      if (file.state === 'complete') return this.respond(id, topic, OK, 'already stored');
      if (!shaOk) {
        this.reject(topic, 'segment checksum mismatch');
        return this.respond(id, topic, UNSPECIFIED, 'segment checksum mismatch');
      }
      if (step.offsetBytes + payload.length > file.size_bytes) {
        this.reject(topic, 'segment beyond the declared size');
        return this.respond(id, topic, UNSPECIFIED, 'segment beyond the declared size');
      }
      const t0 = performance.now();
      await this.files.writeChunk(id, fileId, step.offsetBytes, payload);
      const t1 = performance.now();
      await this.recordChunk({
        id,
        fileId,
        offsetBytes: step.offsetBytes,
        sizeBytes: payload.length,
        sha256: step.sha256 ?? null,
      });
      this.log.debug(
        {
          fileId,
          offsetBytes: step.offsetBytes,
          writeMs: Math.round(t1 - t0),
          dbMs: Math.round(performance.now() - t1),
        },
        'segment stored',
      );
      return this.respond(id, topic, OK, 'segment stored');
    }
    // fin
    if (file.state === 'complete') {
      return step.sha256 && step.sha256 !== file.sha256
        ? this.respond(id, topic, CHECKSUM_MISMATCH, 'stored file has another checksum')
        : this.respond(id, topic, OK, 'already stored');
    }
    if (step.sizeBytes !== file.size_bytes)
      return this.respond(id, topic, UNSPECIFIED, 'size differs from init');
    let covered = 0;
    for (const c of await this.store.chunks(id, fileId)) {
      if (c.offset_bytes > covered) break;
      covered = Math.max(covered, c.offset_bytes + c.size_bytes);
    }
    if (covered < step.sizeBytes)
      return this.respond(id, topic, FILE_MISSING_SEGMENTS, `missing segments after byte ${covered}`);
    const key = `${id.site}/${id.device}/${fileId}`;
    const streamed = this.hashing.get(key);
    this.hashing.delete(key);
    // The hash kept while chunks arrived in order, else one read of the part file.
    let sum: string;
    if (streamed && streamed.hasher.upToBytes === step.sizeBytes) {
      await this.files.truncatePart(id, fileId, step.sizeBytes);
      sum = streamed.hasher.digest();
    } else {
      sum = await this.files.partSha256(id, fileId, step.sizeBytes);
    }
    const expected = step.sha256 ?? file.sha256;
    if (expected && sum !== expected) {
      await this.store.resetFile(id, fileId);
      await this.files.discardPart(id, fileId);
      this.log.error(
        { device: `${id.site}/${id.device}`, fileId },
        'whole-file checksum mismatch; asked the device to start over',
      );
      return this.respond(id, topic, CHECKSUM_MISMATCH, 'whole-file checksum mismatch');
    }
    const objects = this.options.objects;
    if (!objects) {
      const path = await this.files.commit(id, fileId);
      await this.store.completeFile(id, fileId, path, sum, this.now());
      this.log.info({ device: `${id.site}/${id.device}`, fileId, sizeBytes: step.sizeBytes }, 'file stored');
      return this.respond(id, topic, OK, 'file stored');
    }
    // S3: the verified part file goes to the bucket; the file is complete (and the device may
    // forget it) only once the bucket confirmed it. Until then the part file and its chunk rows
    // stay, so the device's next fin finds them (and re-reads the part file once).
    let stored: StoredObject;
    try {
      stored = await objects.put(id, fileId, this.files.partPath(id, fileId), step.sizeBytes, sum);
    } catch (err) {
      this.log.error(
        { device: `${id.site}/${id.device}`, fileId, err: (err as Error).message },
        'file not stored in the bucket; the device will send fin again',
      );
      return this.respond(id, topic, UNSPECIFIED, `object store unavailable: ${(err as Error).message}`);
    }
    if (this.options.killAfterObjectPut) {
      this.log.warn(
        { fileId },
        'fault injection: SIGKILL after the bucket stored the file, before recording it',
      );
      process.kill(process.pid, 'SIGKILL');
    }
    await this.store.completeFile(id, fileId, stored.location, sum, this.now());
    await this.files.discardPart(id, fileId);
    this.log.info(
      {
        device: `${id.site}/${id.device}`,
        fileId,
        sizeBytes: step.sizeBytes,
        location: stored.location,
        uploaded: stored.uploaded,
      },
      stored.uploaded
        ? 'file stored in the bucket'
        : 'file already in the bucket (same sha256); not uploaded again',
    );
    return this.respond(id, topic, OK, 'file stored');
  }

  /**
   * Records a chunk already on disk; resolves once its row is committed. Chunks whose data
   * sync finished together (the file store's group commit) share one transaction.
   */
  private recordChunk(chunk: NewChunk): Promise<void> {
    return new Promise((resolve, reject) => {
      this.chunkRows.push({ chunk, done: (err) => (err ? reject(err) : resolve()) });
      if (this.chunkFlushScheduled) return;
      this.chunkFlushScheduled = true;
      setImmediate(() => {
        this.chunkFlushScheduled = false;
        const batch = this.chunkRows;
        this.chunkRows = [];
        this.chunkChain = this.chunkChain
          .then(() => this.store.addChunks(batch.map((b) => b.chunk)))
          .then(
            () => {
              for (const b of batch) b.done();
            },
            (err: Error) => {
              for (const b of batch) b.done(err);
            },
          );
      });
    });
  }

  /**
   * Feeds the file's running sha256 in offset order. A segment that arrives ahead of the
   * bytes before it waits (at most HASH_WAITING_MAX segments / 32 MiB, the device's window);
   * beyond that the running hash gives up and fin reads the part file once instead.
   */
  private hashInOrder(key: string, offsetBytes: number, data: Buffer): void {
    const h = this.hashing.get(key);
    if (!h) return;
    if (offsetBytes + data.length > h.sizeBytes) return; // refused later as beyond the size
    h.hasher.add(offsetBytes, data);
    if (h.hasher.waitingChunks > HASH_WAITING_MAX || h.hasher.waitingBytes > HASH_WAITING_MAX_BYTES)
      this.hashing.delete(key);
  }

  private async respond(id: DeviceId, topic: string, reasonCode: number, description: string): Promise<void> {
    const r: FileResponse = {
      vsn: '0.1',
      topic,
      packet_id: 0,
      reason_code: reasonCode,
      reason_description: description,
    };
    // Not awaited: the next step may be stored while this response travels (the PUBACK only
    // says the broker has it; a lost response makes the device send the step again).
    void this.link.publish(fileResponseTopic(defaultClientId(id)), JSON.stringify(r)).catch((err: Error) => {
      this.log.warn({ topic, err: err.message }, 'file response not published');
    });
  }

  private reject(topic: string, problem: string): void {
    this.rejectedTotal += 1;
    void this.store.bump('rejected').catch(() => undefined);
    this.log.warn({ topic: topic.slice(0, 200), problem }, 'malformed message rejected');
  }

  /** Waits for queued file steps (tests, shutdown). */
  async drain(): Promise<void> {
    await this.flush();
    await Promise.all([...this.segmentsInFlight]);
    await Promise.all([...this.fileQueues.values()]);
  }
}
