import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes, randomFillSync, randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { type Config, loadConfig } from '../../config/index.js';
import type { Logger } from '../../daemon/log.js';
import { Store } from '../../daemon/store/index.js';
import { SyncPart, type SyncPartDeps } from '../../sync/index.js';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { cleanEnv, ROOT, waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

/** A pino logger whose lines the test can read. */
export function captureLog(): {
  log: Logger;
  lines: () => Array<Record<string, unknown>>;
  text: () => string;
} {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  const log = pino({ level: 'debug' }, stream);
  return {
    log,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export function deviceConfig(
  broker: Broker,
  site: string,
  device: string,
  dataDir: string,
  sync: Record<string, unknown> = {},
): Readonly<Config> {
  const id = broker.identity(`${site}/${device}`);
  return loadConfig({
    overrides: {
      device: { site, id: device },
      storage: { data_dir: dataDir, synchronous: 'NORMAL' },
      sync: {
        enabled: true,
        broker_url: broker.url,
        ca_file: broker.caFile,
        cert_file: id.cert,
        key_file: id.key,
        poll_interval_ms: 50,
        ack_timeout_ms: 3000,
        retry_min_ms: 200,
        retry_max_ms: 2000,
        reconnect_min_ms: 100,
        reconnect_max_ms: 1000,
        file_chunk_bytes: 65536,
        file_response_timeout_ms: 5000,
        disk_min_free_mb: 0,
        ...sync,
      },
    },
  });
}

export function openStore(dataDir: string, synchronous: 'FULL' | 'NORMAL' = 'NORMAL'): Store {
  return Store.open({
    file: join(dataDir, 'orsight.db'),
    busyTimeoutMs: 10_000,
    synchronous,
    integrityCheck: 'off',
  });
}

/**
 * A box with the default device config on a fresh data dir: its store, a readable log and its
 * sync part (not started). close() stops the part and closes the store.
 */
export function makeBox(broker: Broker, site: string, device: string) {
  const dataDir = tempDir();
  const store = openStore(dataDir);
  const { log, text } = captureLog();
  const part = makeSync(deviceConfig(broker, site, device, dataDir), store, log);
  return {
    dataDir,
    store,
    text,
    part,
    async close() {
      await part.stop();
      store.close();
    },
  };
}

export function makeSync(
  config: Readonly<Config>,
  store: Store,
  log: Logger,
  extra: Partial<SyncPartDeps> = {},
): SyncPart {
  return new SyncPart({ config, store: () => store, log, ...extra });
}

/** True once the box has marked the case fully synced (headquarters acknowledged all of it). */
export function caseSynced(db: Database.Database, caseId: string): boolean {
  return db.prepare('SELECT 1 FROM sync_cases WHERE case_id = ?').get(caseId) !== undefined;
}

/**
 * Writes the timeline the way the case engine does (rows in cases, phase_segments, events,
 * bookmarks, recordings); the outbox is filled by the migration's triggers.
 */
export class CaseWriter {
  constructor(
    private readonly db: Database.Database,
    private readonly dataDir: string,
  ) {}

  startCase(label = 'Patient Jane Doe'): string {
    const id = randomUUID();
    this.db
      .prepare(
        'INSERT INTO cases (id, procedure, label, started_at, started_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(id, 'cholecystectomy', label, Date.now(), 'auto', Date.now());
    return id;
  }

  /** A finished case with one phase and one recording of sizeBytes (the usual upload fixture). */
  caseWithRecording(sizeBytes: number): { caseId: string; rec: { id: string; data: Buffer } } {
    const caseId = this.startCase();
    this.segment(caseId, 'preparation');
    const rec = this.recording(caseId, sizeBytes);
    this.endCase(caseId);
    return { caseId, rec };
  }

  segment(caseId: string, phase: string): string {
    const id = randomUUID();
    const now = Date.now();
    this.db.transaction(() => {
      this.db
        .prepare(
          'UPDATE phase_segments SET ended_at = ?, updated_at = ? WHERE case_id = ? AND ended_at IS NULL',
        )
        .run(now, now, caseId);
      this.db
        .prepare(
          'INSERT INTO phase_segments (id, case_id, phase, started_at, confidence, model_version, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(id, caseId, phase, now, 0.9, 'demo-1', now);
    })();
    return id;
  }

  event(caseId: string, type: string, at = Date.now()): string {
    const id = randomUUID();
    this.db
      .prepare('INSERT INTO events (id, case_id, at, type, data) VALUES (?, ?, ?, ?, ?)')
      .run(id, caseId, at, type, '{"x":1}');
    return id;
  }

  bookmark(caseId: string): string {
    const id = randomUUID();
    const now = Date.now();
    this.db
      .prepare(
        'INSERT INTO bookmarks (id, case_id, at, note, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, caseId, now, 'private note', 'u1', now, now);
    return id;
  }

  /** A surgeon's correction of a segment's phase. */
  correction(caseId: string, segmentId: string, phase: string): string {
    const id = randomUUID();
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO corrections (id, case_id, segment_id, kind, model_phase, corrected_phase, created_by, created_at, updated_at)
         VALUES (?, ?, ?, 'relabel', 'preparation', ?, 'u1', ?, ?)`,
      )
      .run(id, caseId, segmentId, phase, now, now);
    return id;
  }

  /** An audit entry, as the API writes one for every sensitive action. */
  audit(caseId: string, action: string): void {
    this.db
      .prepare('INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)')
      .run(Date.now(), 'u1', action, caseId, '{"via":"review"}');
  }

  /** A recording chunk of random bytes; returns its id and the bytes. */
  recording(caseId: string, sizeBytes: number, startedAt = Date.now()): { id: string; data: Buffer } {
    const data = randomBytes(sizeBytes);
    const id = this.addRecording(caseId, sizeBytes, startedAt, (path) => {
      writeFileSync(path, data, { flush: true });
      return createHash('sha256').update(data).digest('hex');
    });
    return { id, data };
  }

  /**
   * A recording chunk of random bytes written a MiB at a time through one buffer; returns its
   * id. Capture's GStreamer writes recordings in the source process, so the daemon never holds
   * a file's bytes: with recording(), the benchmark's box would start each upload with the
   * whole file's bytes to collect.
   */
  recordingFile(caseId: string, sizeBytes: number, startedAt = Date.now()): string {
    return this.addRecording(caseId, sizeBytes, startedAt, (path) => {
      const buf = Buffer.allocUnsafe(Math.min(sizeBytes, 1_048_576));
      const hash = createHash('sha256');
      const fd = openSync(path, 'w');
      try {
        for (let at = 0; at < sizeBytes; at += buf.length) {
          const piece = buf.subarray(0, Math.min(buf.length, sizeBytes - at));
          randomFillSync(piece);
          hash.update(piece);
          writeSync(fd, piece);
        }
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return hash.digest('hex');
    });
  }

  /** Writes the file with `write` (which returns its sha256), then adds its recordings row. */
  private addRecording(
    caseId: string,
    sizeBytes: number,
    startedAt: number,
    write: (path: string) => string,
  ): string {
    const id = randomUUID();
    const rel = `${caseId}/endoscope/${id}.mp4`;
    mkdirSync(join(this.dataDir, 'recordings', caseId, 'endoscope'), { recursive: true });
    // As capture seals a closed chunk: on disk before its row exists (capture/chunk-file.ts).
    const sha256 = write(join(this.dataDir, 'recordings', rel));
    this.db
      .prepare(
        'INSERT INTO recordings (id, case_id, source_name, path, started_at, duration_ms, size_bytes, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      // As capture stores a closed chunk: with its sha256.
      .run(id, caseId, 'endoscope', rel, startedAt, 10_000, sizeBytes, sha256);
    return id;
  }

  endCase(caseId: string): void {
    const now = Date.now();
    this.db.transaction(() => {
      this.db
        .prepare(
          'UPDATE phase_segments SET ended_at = ?, updated_at = ? WHERE case_id = ? AND ended_at IS NULL',
        )
        .run(now, now, caseId);
      this.db
        .prepare('UPDATE cases SET ended_at = ?, end_reason = ?, updated_at = ? WHERE id = ?')
        .run(now, 'manual', now, caseId);
    })();
  }
}

export interface Central {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
  /** The fleet API port it logged when ready. */
  httpPort(): number;
}

/** Starts the real `orsight-central serve` as a child process and waits until it is connected. */
export async function startCentral(
  broker: Broker,
  dataDir: string,
  options: {
    clientId?: string;
    env?: NodeJS.ProcessEnv;
    waitReady?: boolean;
    logLevel?: string;
    extraArgs?: string[];
  } = {},
): Promise<Central> {
  const clientId = options.clientId ?? 'central-1';
  const id = broker.identity(clientId);
  const child = spawn(
    join(ROOT, 'bin', 'orsight-central'),
    [
      'serve',
      '--broker',
      broker.url,
      '--ca',
      broker.caFile,
      '--cert',
      id.cert,
      '--key',
      id.key,
      '--client-id',
      clientId,
      '--data-dir',
      dataDir,
      '--http-port',
      '0',
      '--reconnect-min-ms',
      '100',
      '--reconnect-max-ms',
      '1000',
      '--log-level',
      options.logLevel ?? 'info',
      ...(options.extraArgs ?? []),
    ],
    { env: { ...cleanEnv(), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  const central: Central = {
    child,
    output: () => out,
    exited,
    httpPort: () => Number(/"httpPort":(\d+)/.exec(out)?.[1] ?? 0),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
  if (options.waitReady !== false) {
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`orsight-central exited: ${out}`);
        return out.includes('orsight-central ready');
      },
      30_000,
      'orsight-central to connect',
    );
  }
  return central;
}

/** Read-only view of central's store for assertions. */
export function centralDb(dataDir: string): Database.Database {
  return new Database(join(dataDir, 'central.db'), { readonly: true, fileMustExist: true });
}

/** A describe block's headquarters: a broker and orsight-central on it, both up before its tests. */
export interface Headquarters {
  readonly broker: Broker;
  readonly central: Central;
  /** Central's data directory (its store is `centralDb(centralDir)`). */
  readonly centralDir: string;
}

/**
 * Starts a broker and orsight-central before the enclosing describe block's tests and stops
 * central after them (the broker cleans up after itself). Read `broker` and `central` inside
 * tests or hooks only: they exist once the block's beforeAll has run.
 */
export function useHeadquarters(): Headquarters {
  const centralDir = tempDir('orsight-central-');
  let broker: Broker | undefined;
  let central: Central | undefined;
  beforeAll(async () => {
    broker = await startMosquitto();
    central = await startCentral(broker, centralDir);
  });
  afterAll(async () => {
    await central?.stop();
  });
  const started = <T>(what: string, value: T | undefined): T => {
    if (value === undefined) throw new Error(`useHeadquarters: ${what} is read before beforeAll started it`);
    return value;
  };
  return {
    centralDir,
    get broker() {
      return started('the broker', broker);
    },
    get central() {
      return started('orsight-central', central);
    },
  };
}
