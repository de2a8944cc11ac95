import { Type } from '@sinclair/typebox';
import { Bool, Enum, Int, Secret, Section, Str } from '../schema-kit.js';

/** An ed25519 public key allowed to sign commands from headquarters. */
const commandKey = Type.Object(
  {
    id: Type.String({ description: 'Key id, named in each signed command (key_id).', minLength: 1 }),
    public_key: Type.String({
      description: 'ed25519 public key: PEM (SPKI) or 32 raw bytes in base64.',
      minLength: 1,
    }),
  },
  { additionalProperties: false },
);

export const syncSection = Section('Sync to headquarters over MQTT.', {
  enabled: Bool('Connect to the headquarters broker.', false),
  broker_url: Str(
    'Broker URL: mqtts://host:8883 in production; mqtt:// only on loopback.',
    'mqtt://127.0.0.1:1883',
    {
      pattern: '^(mqtts?|wss?)://',
    },
  ),
  ca_file: Type.Optional(Type.String({ description: 'Pinned CA certificate (PEM) for the broker.' })),
  cert_file: Type.Optional(Type.String({ description: "This device's client certificate (PEM)." })),
  key: Secret("This device's client private key (PEM) (or key_file)."),
  username: Type.Optional(Type.String({ description: 'Broker user name, when not using certificates.' })),
  password: Secret('Broker password (or password_file).'),
  client_id: Type.Optional(
    Type.String({
      description:
        'MQTT client id. Default "<site>/<device>", the certificate CN that the broker binds it to.',
      minLength: 1,
      maxLength: 128,
    }),
  ),
  keepalive_s: Int('MQTT keep-alive.', 30, 5, 3600),
  connect_timeout_ms: Int('Give up one connection attempt after this long.', 15000, 1000, 300000),
  session_expiry_s: Int(
    "How long the broker keeps this device's session (acknowledgements and commands wait there) while it is away.",
    7 * 86400,
    0,
    365 * 86400,
  ),
  reconnect_min_ms: Int('First reconnect delay (doubles each failure, with jitter).', 1000, 100, 600000),
  reconnect_max_ms: Int('Largest reconnect delay.', 60000, 1000, 3600000),
  inflight_max: Int('Outbox messages in flight (sent, not yet acknowledged) at once.', 256, 1, 1000),
  ack_timeout_ms: Int(
    'How long a sent item waits for the headquarters acknowledgement before it is sent again.',
    30000,
    200,
    3600000,
  ),
  retry_min_ms: Int('First retry delay for an unacknowledged item.', 2000, 100, 3600000),
  retry_max_ms: Int('Largest retry delay.', 300000, 1000, 86400000),
  poll_interval_ms: Int('How often the outbox is checked for new items.', 200, 10, 60000),
  telemetry_cron: Str(
    'When telemetry is published (node-cron expression, seconds field first).',
    '0 * * * * *',
    { minLength: 9 },
  ),
  upload_windows: Type.Array(Type.String({ minLength: 9 }), {
    description:
      'Video uploads run only in minutes matching one of these cron expressions (e.g. "* 0-5,22-23 * * *" for nights); empty = always. Records always flow at once.',
    default: [],
    maxItems: 16,
  }),
  upload_rate_bytes_per_s: Int('Bandwidth cap for video uploads; 0 = unlimited.', 0, 0, 10_000_000_000),
  file_chunk_bytes: Int('Video upload chunk size.', 1048576, 4096, 64 * 1048576),
  file_chunk_window: Int('Video chunks in flight at once.', 8, 1, 64),
  file_response_timeout_ms: Int('How long a file-transfer step waits for its response.', 30000, 200, 600000),
  file_protocol: Enum(
    'File-transfer topics: "orsight" = orsight/v1/<site>/<device>/file/... (orsight-central over mosquitto, sender bound by ACL); "emqx" = $file-async/... (EMQX native file transfer, results on $file-response/<clientId>).',
    ['orsight', 'emqx'] as const,
    'orsight',
  ),
  model_download_attempts: Int('Tries per chunk when fetching a model package.', 5, 1, 100),
  command_public_keys: Type.Array(commandKey, {
    description: 'Keys allowed to sign commands from headquarters. Empty = every command is rejected.',
    default: [],
    maxItems: 16,
  }),
  command_max_age_s: Int('Commands older than this (issued_at) are rejected.', 3600, 10, 30 * 86400),
  disk_min_free_mb: Int(
    'Disk policy: when free space under data_dir falls below this, the oldest pending video uploads are dropped (counted, reported, logged).',
    2048,
    0,
    10_000_000,
  ),
  disk_check_interval_s: Int('How often the disk policy is checked.', 10, 1, 3600),
  outbox_max_age_h: Int(
    'Disk policy: pending items older than this are dropped (counted, reported, logged); 0 = never.',
    0,
    0,
    87600,
  ),
  acked_retention_days: Int(
    'Acknowledged outbox rows are kept this long (re-sync), then pruned.',
    30,
    0,
    3650,
  ),
});
