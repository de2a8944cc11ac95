import { Bool, Int, Num, Section } from '../schema-kit.js';

export const casesSection = Section('Case lifecycle and predictions.', {
  auto_start: Bool('Open a case automatically when in-body video is seen and no case is open.', true),
  auto_start_after_s: Int('Seconds of in-body video before a case opens automatically.', 30, 1, 3600),
  auto_end: Bool('Close a case automatically after a long out-of-body or signal loss.', true),
  auto_end_after_min: Num(
    'Minutes of out-of-body or no signal before the case closes automatically.',
    10,
    0.1,
    600,
  ),
  history_cases: Int('Completed cases of the same procedure used for predictions.', 50, 1, 10000),
});

export const authSection = Section('Accounts, sessions and display tokens.', {
  session_ttl_h: Int('Lifetime of a login session.', 12, 1, 720),
  login_attempts_per_min: Int('Failed logins allowed per client per minute.', 10, 1, 1000),
  cookie_secure: Bool('Mark session cookies Secure (set automatically under TLS).', false),
});
