import { Bool, ID_PATTERN, Int, Num, Section, Str } from '../schema-kit.js';

export const casesSection = Section('Case lifecycle, live channel and predictions.', {
  auto_start: Bool('Open a case automatically when in-body video is seen and no case is open.', true),
  auto_start_after_s: Num('Seconds of in-body video before a case opens automatically.', 30, 0.1, 3600),
  auto_end: Bool('Close a case automatically after a long out-of-body or signal loss.', true),
  auto_end_after_min: Num(
    'Minutes of out-of-body or no signal before the case closes automatically.',
    10,
    0.01,
    600,
  ),
  default_procedure: Str(
    'Procedure of an automatically opened case when no model is loaded (else the model’s procedure).',
    'unspecified',
    { pattern: ID_PATTERN },
  ),
  history_cases: Int('Completed cases of the same procedure used for predictions.', 50, 1, 10000),
  min_history_cases: Int(
    'Fewest completed cases before predictions use this room’s history instead of the model’s typical durations.',
    3,
    1,
    1000,
  ),
  prediction_refresh_s: Int('How often predictions are recomputed while a phase runs.', 10, 1, 3600),
  heartbeat_interval_ms: Int('Live channel: heartbeat period.', 5000, 100, 120000),
  live_max_clients: Int('Live channel: most WebSocket clients at once.', 500, 1, 10000),
  live_send_buffer_bytes: Int(
    'Live channel: a client whose unsent data exceeds this is disconnected (it resyncs on reconnect).',
    1048576,
    1024,
    67108864,
  ),
  page_size_max: Int('REST: largest page of a list.', 200, 1, 10000),
});

export const authSection = Section('Accounts, sessions and display tokens.', {
  session_ttl_h: Int('Lifetime of a login session.', 12, 1, 720),
  login_attempts_per_min: Int('Failed logins allowed per client per minute.', 10, 1, 1000),
  cookie_secure: Bool('Mark session cookies Secure (set automatically under TLS).', false),
  password_min_chars: Int('Shortest password accepted for a user.', 10, 8, 256),
  scrypt_cost: Int('scrypt cost parameter N (a power of two).', 16384, 1024, 1048576),
});
