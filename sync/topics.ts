/**
 * The MQTT topic scheme (documented in sync/README.md). Every device topic lives under
 * `orsight/v1/<site>/<device>/`; the broker's ACL binds that prefix to the device's
 * certificate, so the prefix itself tells headquarters who sent a message.
 */
export const TOPIC_ROOT = 'orsight/v1';
export const SCHEMA_VERSION = 1;

export interface DeviceId {
  site: string;
  device: string;
}

export type FileProtocol = 'orsight' | 'emqx';

export const deviceTopics = (id: DeviceId, fileProtocol: FileProtocol = 'orsight') => {
  const base = `${TOPIC_ROOT}/${id.site}/${id.device}`;
  return {
    base,
    /** Retained online/offline status; the Will publishes offline. */
    status: `${base}/status`,
    telemetry: `${base}/telemetry`,
    /** Timeline records: `rec/<kind>`, e.g. rec/case, rec/phase_segment. */
    record: (kind: string) => `${base}/rec/${kind}`,
    /** Acknowledgements from headquarters (outbox ids durably stored). */
    ack: `${base}/ack`,
    /** Signed commands from headquarters, and their results. */
    command: `${base}/cmd`,
    commandResult: `${base}/cmd-result`,
    /** Model package download: requests, and the data headquarters sends back. */
    downloadRequest: `${base}/dl-req`,
    download: (fileId: string, offsetBytes: number | 'error') => `${base}/dl/${fileId}/${offsetBytes}`,
    /**
     * File-transfer root: EMQX's asynchronous `$file-async` (results come on
     * `$file-response/<clientId>`, as orsight-central sends them), or the device-scoped equivalent.
     */
    fileRoot: fileProtocol === 'emqx' ? '$file-async' : `${base}/file`,
  };
};

/** Where a file-transfer response for `clientId` is published (EMQX convention). */
export const fileResponseTopic = (clientId: string) => `$file-response/${clientId}`;

/** Default client id: the certificate CN the broker binds it to. */
export const defaultClientId = (id: DeviceId) => `${id.site}/${id.device}`;

export type ParsedDeviceTopic =
  | { type: 'status' | 'telemetry' | 'ack' | 'cmd' | 'cmd-result' | 'dl-req'; id: DeviceId }
  | { type: 'record'; id: DeviceId; kind: string }
  | { type: 'file'; id: DeviceId; fileId: string; step: FileStep };

export type FileStep =
  | { kind: 'init' }
  | { kind: 'segment'; offsetBytes: number; sha256?: string }
  | { kind: 'fin'; sizeBytes: number; sha256?: string };

const SEGMENT = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const FILE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** Parses a device topic; undefined when it is not one of ours or is malformed. */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic | undefined {
  const parts = topic.split('/');
  if (parts.length < 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return undefined;
  const [site, device, kind, ...rest] = parts.slice(2);
  if (!SEGMENT.test(site!) || !SEGMENT.test(device!)) return undefined;
  const id = { site: site!, device: device! };
  if (rest.length === 0) {
    if (
      kind === 'status' ||
      kind === 'telemetry' ||
      kind === 'ack' ||
      kind === 'cmd' ||
      kind === 'cmd-result' ||
      kind === 'dl-req'
    ) {
      return { type: kind, id };
    }
    return undefined;
  }
  if (kind === 'rec' && rest.length === 1 && SEGMENT.test(rest[0]!))
    return { type: 'record', id, kind: rest[0]! };
  if (kind === 'file') {
    const step = parseFileStep(rest.slice(1));
    if (step && FILE_ID.test(rest[0] ?? '')) return { type: 'file', id, fileId: rest[0]!, step };
  }
  return undefined;
}

/** Parses what follows `<root>/<fileId>/`: init | <offset>[/<sha256>] | fin/<size>[/<sha256>]. */
export function parseFileStep(parts: string[]): FileStep | undefined {
  if (parts.length === 1 && parts[0] === 'init') return { kind: 'init' };
  if (parts[0] === 'fin' && (parts.length === 2 || parts.length === 3)) {
    const sizeBytes = parseNonNegative(parts[1]!);
    if (sizeBytes === undefined || (parts[2] !== undefined && !SHA256.test(parts[2]))) return undefined;
    return { kind: 'fin', sizeBytes, sha256: parts[2] };
  }
  if (parts.length === 1 || parts.length === 2) {
    const offsetBytes = parseNonNegative(parts[0]!);
    if (offsetBytes === undefined || (parts[1] !== undefined && !SHA256.test(parts[1]))) return undefined;
    return { kind: 'segment', offsetBytes, sha256: parts[1] };
  }
  return undefined;
}

function parseNonNegative(s: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A transfer id safe for one topic level. */
export function isFileId(s: string): boolean {
  return FILE_ID.test(s);
}
