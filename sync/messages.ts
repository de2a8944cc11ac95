import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Ajv } from 'ajv';

/**
 * MQTT payload schemas: one truth for the device, orsight-central and the README. Every
 * JSON payload carries `v` (schema version); ids are stable so a resend is harmless.
 */

const Id = Type.String({ minLength: 1, maxLength: 200 });

/** A timeline record, published QoS 1 on `rec/<kind>`. */
export const RecordEnvelope = Type.Object(
  {
    v: Type.Literal(1),
    /** Outbox id: stable across resends; headquarters stores each id once. */
    id: Id,
    /** Outbox sequence: orders versions of the same row (a higher seq is newer). */
    seq: Type.Integer({ minimum: 1 }),
    kind: Type.String({ pattern: '^[a-z0-9_]{1,40}$' }),
    caseId: Type.Union([Id, Type.Null()]),
    createdAtMs: Type.Integer({ minimum: 0 }),
    data: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: false },
);
export type RecordEnvelope = Static<typeof RecordEnvelope>;

/** Published by headquarters on `ack` once the listed outbox ids are durably stored. */
export const AckMessage = Type.Object(
  {
    v: Type.Literal(1),
    ids: Type.Array(Id, { maxItems: 10000 }),
    atMs: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type AckMessage = Static<typeof AckMessage>;

/** What a file is, sent in the EMQX `init` payload's user_data. */
export const FileMeta = Type.Object(
  {
    recordingId: Id,
    caseId: Type.Union([Id, Type.Null()]),
    sourceName: Type.String({ maxLength: 100 }),
    startedAtMs: Type.Integer({ minimum: 0 }),
    durationMs: Type.Integer({ minimum: 0 }),
    outboxId: Id,
  },
  { additionalProperties: false },
);
export type FileMeta = Static<typeof FileMeta>;

/** EMQX file-transfer `init` payload; user_data (any JSON object in EMQX) carries FileMeta. */
export const FileInit = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    size: Type.Integer({ minimum: 0 }),
    checksum: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
    expire_at: Type.Optional(Type.Integer()),
    segments_ttl: Type.Optional(Type.Integer()),
    user_data: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: true },
);
export type FileInit = Static<typeof FileInit>;

/** EMQX file-transfer response, on `$file-response/<clientId>`. reason_code 0 = success. */
export const FileResponse = Type.Object(
  {
    vsn: Type.String(),
    topic: Type.String(),
    packet_id: Type.Integer(),
    reason_code: Type.Integer({ minimum: 0, maximum: 255 }),
    reason_description: Type.String(),
  },
  { additionalProperties: true },
);
export type FileResponse = Static<typeof FileResponse>;

export const COMMAND_TYPES = ['config_set', 'model_rollout', 'resync_case'] as const;

const ConfigSetParams = Type.Object(
  {
    /** Partial configuration (YAML shape), merged over the current one and validated. */
    changes: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: false },
);
const ModelRolloutParams = Type.Object(
  {
    version: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' }),
    /** The package archive on the broker's file channel, and its sha256. */
    fileId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' }),
    sizeBytes: Type.Integer({ minimum: 1 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  { additionalProperties: false },
);
const ResyncCaseParams = Type.Object({ caseId: Id }, { additionalProperties: false });

const commandBase = {
  v: Type.Literal(1),
  id: Type.String({ minLength: 8, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' }),
  /** The device it is for: a command replayed to another device is refused. */
  target: Type.Object(
    { site: Type.String({ minLength: 1 }), device: Type.String({ minLength: 1 }) },
    { additionalProperties: false },
  ),
  issuedAtMs: Type.Integer({ minimum: 0 }),
  keyId: Type.String({ minLength: 1, maxLength: 100 }),
  /** base64 ed25519 signature over canonicalJson(command without sig). */
  sig: Type.String({ minLength: 80, maxLength: 100 }),
};
export const Command = Type.Union([
  Type.Object(
    { ...commandBase, type: Type.Literal('config_set'), params: ConfigSetParams },
    { additionalProperties: false },
  ),
  Type.Object(
    { ...commandBase, type: Type.Literal('model_rollout'), params: ModelRolloutParams },
    { additionalProperties: false },
  ),
  Type.Object(
    { ...commandBase, type: Type.Literal('resync_case'), params: ResyncCaseParams },
    { additionalProperties: false },
  ),
]);
export type Command = Static<typeof Command>;

/** The device's answer to a command, sent through the outbox on `cmd-result`. */
export const CommandResult = Type.Object(
  {
    v: Type.Literal(1),
    commandId: Type.String({ maxLength: 100 }),
    status: Type.Union([Type.Literal('applied'), Type.Literal('failed'), Type.Literal('rejected')]),
    code: Type.String(),
    message: Type.String(),
    atMs: Type.Integer(),
  },
  { additionalProperties: false },
);
export type CommandResult = Static<typeof CommandResult>;

export const StatusMessage = Type.Object(
  {
    v: Type.Literal(1),
    state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    atMs: Type.Integer(),
    versions: Type.Record(Type.String(), Type.String()),
    model: Type.Union([Type.String(), Type.Null()]),
    startedAtMs: Type.Integer(),
    uptimeS: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: true },
);
export type StatusMessage = Static<typeof StatusMessage>;

export const TelemetryMessage = Type.Object(
  {
    v: Type.Literal(1),
    atMs: Type.Integer(),
    uptimeS: Type.Number(),
    outbox: Type.Object(
      {
        pending: Type.Integer(),
        pendingRecords: Type.Integer(),
        pendingFiles: Type.Integer(),
        acked: Type.Integer(),
        casesSynced: Type.Integer(),
        inFlight: Type.Integer(),
        oldestPendingAgeS: Type.Union([Type.Number(), Type.Null()]),
        lastAckAtMs: Type.Union([Type.Integer(), Type.Null()]),
        dropped: Type.Record(Type.String(), Type.Integer()),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);
export type TelemetryMessage = Static<typeof TelemetryMessage>;

/** A device asks headquarters for bytes of a model bundle (on `dl-req`). */
export const DownloadRequest = Type.Object(
  {
    v: Type.Literal(1),
    fileId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' }),
    offsetBytes: Type.Integer({ minimum: 0 }),
    lengthBytes: Type.Integer({ minimum: 1, maximum: 16 * 1048576 }),
  },
  { additionalProperties: false },
);
export type DownloadRequest = Static<typeof DownloadRequest>;

const ajv = new Ajv({ allErrors: false, strict: false });

export interface Validator<T> {
  (value: unknown): value is T;
  /** The first problem, as "path: message", for a log line. */
  error(): string;
}

export function validator<T extends TSchema>(schema: T): Validator<Static<T>> {
  const fn = ajv.compile<Static<T>>(schema);
  const v = ((value: unknown) => fn(value)) as Validator<Static<T>>;
  v.error = () => {
    const e = fn.errors?.[0];
    return e ? `${e.instancePath || '(root)'}: ${e.message ?? 'invalid'}` : '';
  };
  return v;
}

/** Parses a JSON payload; undefined when it is not JSON. */
export function parseJson(payload: Buffer | string): unknown {
  try {
    return JSON.parse(payload.toString());
  } catch {
    return undefined;
  }
}

export const isRecordEnvelope = validator(RecordEnvelope);
export const isAckMessage = validator(AckMessage);
export const isFileInit = validator(FileInit);
export const isFileMeta = validator(FileMeta);
export const isFileResponse = validator(FileResponse);
export const isCommand = validator(Command);
export const isStatusMessage = validator(StatusMessage);
export const isTelemetryMessage = validator(TelemetryMessage);
export const isDownloadRequest = validator(DownloadRequest);
