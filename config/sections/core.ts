import { Type } from '@sinclair/typebox';
import { Bool, Enum, ID_PATTERN, Int, Secret, Section, Str } from '../schema-kit.js';

export const deviceSection = Section('Identity of this appliance (used in MQTT topics and telemetry).', {
  site: Str('Hospital / site identifier.', 'demo-site', { pattern: ID_PATTERN }),
  id: Str('Device identifier, unique within the site (usually the OR name).', 'or-1', {
    pattern: ID_PATTERN,
  }),
  room_name: Str('Human-readable room name shown on the wall display.', 'OR 1', {
    minLength: 1,
    maxLength: 64,
  }),
});

export const httpSection = Section('Dashboard, REST API and live WebSocket server.', {
  host: Str('Address to listen on. Use 0.0.0.0 to serve the hospital LAN.', '127.0.0.1', { minLength: 1 }),
  port: Int('TCP port (0 picks a free one).', 8080, 0, 65535),
  tls_cert_file: Type.Optional(Type.String({ description: 'PEM certificate; enables HTTPS with tls_key.' })),
  tls_key: Secret('PEM private key for HTTPS (or tls_key_file).'),
  body_limit_bytes: Int('Largest accepted request body.', 65536, 1024, 16 * 1024 * 1024),
  close_timeout_ms: Int('How long shutdown waits for open requests and sockets.', 3000, 100, 60000),
});

export const storageSection = Section('Local storage: the SQLite database and recordings.', {
  data_dir: Str('Data directory (database, recordings, keys).', '/var/lib/orsight', { minLength: 1 }),
  busy_timeout_ms: Int('SQLite busy timeout.', 5000, 0, 600000),
  synchronous: Enum(
    'SQLite synchronous mode. FULL survives power loss with WAL; NORMAL only process crashes.',
    ['FULL', 'NORMAL'] as const,
    'FULL',
  ),
  integrity_check: Enum(
    'Integrity check at start: quick (seconds on large DBs), full, or off.',
    ['quick', 'full', 'off'] as const,
    'quick',
  ),
});

export const logSection = Section('Logging (pino JSON to stdout; pretty on a terminal).', {
  level: Enum('Minimum level.', ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const, 'info'),
  pretty: Enum('Human-readable output: auto = only on a TTY.', ['auto', 'always', 'never'] as const, 'auto'),
});

export const daemonSection = Section('Daemon lifecycle.', {
  start_timeout_ms: Int('Longest a single part may take to start.', 60000, 100, 600000),
  stop_timeout_ms: Int('Longest a single part may take to stop before it is abandoned.', 5000, 100, 120000),
  loop_delay_warn_ms: Int('Log a warning when event-loop delay p99 exceeds this.', 100, 1, 60000),
  loop_delay_interval_ms: Int('How often event-loop delay is sampled and checked.', 10000, 100, 600000),
  demo: Bool('Demo mode: start the embedded simulated OR (sim source, local broker, central ingest).', false),
});
