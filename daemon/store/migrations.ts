/**
 * Versioned schema migrations, applied in order at start. Version N is the database after
 * migration N; PRAGMA user_version holds it. Never edit a released migration: add one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE sources (
  name        TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  role        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE cases (
  id            TEXT PRIMARY KEY,            -- opaque id (uuid), safe to sync
  procedure     TEXT NOT NULL,
  surgeon_id    TEXT,                        -- local id, no name
  label         TEXT,                        -- free text, PHI: never synced or logged
  started_at    INTEGER NOT NULL,            -- ms since epoch
  ended_at      INTEGER,
  end_reason    TEXT,
  started_by    TEXT NOT NULL,               -- 'auto' | user id
  model_version TEXT
) STRICT;
CREATE UNIQUE INDEX cases_one_open ON cases ((ended_at IS NULL)) WHERE ended_at IS NULL;
CREATE INDEX cases_started ON cases (started_at);

CREATE TABLE phase_segments (
  id          TEXT PRIMARY KEY,
  case_id     TEXT NOT NULL REFERENCES cases(id),
  phase       TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  ended_at    INTEGER,
  confidence  REAL,
  model_version TEXT,
  source      TEXT NOT NULL DEFAULT 'model'   -- 'model' | 'correction'
) STRICT;
CREATE INDEX phase_segments_case ON phase_segments (case_id, started_at);

CREATE TABLE events (
  id          TEXT PRIMARY KEY,
  case_id     TEXT REFERENCES cases(id),
  at          INTEGER NOT NULL,
  type        TEXT NOT NULL,                 -- source_lost, source_recovered, out_of_body_in, ...
  source_name TEXT,
  data        TEXT                           -- JSON, no PHI
) STRICT;
CREATE INDEX events_case ON events (case_id, at);

CREATE TABLE bookmarks (
  id          TEXT PRIMARY KEY,
  case_id     TEXT NOT NULL REFERENCES cases(id),
  at          INTEGER NOT NULL,
  note        TEXT NOT NULL DEFAULT '',
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  deleted_at  INTEGER
) STRICT;
CREATE INDEX bookmarks_case ON bookmarks (case_id, at);

CREATE TABLE corrections (
  id              TEXT PRIMARY KEY,
  case_id         TEXT NOT NULL REFERENCES cases(id),
  segment_id      TEXT REFERENCES phase_segments(id),
  kind            TEXT NOT NULL,             -- 'move_boundary' | 'relabel'
  model_phase     TEXT,
  corrected_phase TEXT,
  model_at        INTEGER,
  corrected_at    INTEGER,
  created_by      TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  deleted_at      INTEGER
) STRICT;
CREATE INDEX corrections_case ON corrections (case_id);

CREATE TABLE recordings (
  id           TEXT PRIMARY KEY,
  case_id      TEXT NOT NULL REFERENCES cases(id),
  source_name  TEXT NOT NULL,
  path         TEXT NOT NULL,                -- relative to <data>/recordings
  started_at   INTEGER NOT NULL,
  duration_ms  INTEGER NOT NULL,
  size_bytes   INTEGER NOT NULL,
  sha256       TEXT
) STRICT;
CREATE INDEX recordings_case ON recordings (case_id, source_name, started_at);

CREATE TABLE outbox (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT NOT NULL UNIQUE,         -- stable id: HQ stores each id once
  kind         TEXT NOT NULL,                -- 'record' | 'file' | 'status'
  priority     INTEGER NOT NULL DEFAULT 0,   -- lower goes first
  case_id      TEXT,
  topic        TEXT NOT NULL,
  payload      BLOB,
  created_at   INTEGER NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_try_at  INTEGER NOT NULL DEFAULT 0,
  sent_at      INTEGER,
  acked_at     INTEGER,
  dropped_at   INTEGER,
  drop_reason  TEXT
) STRICT;
CREATE INDEX outbox_pending ON outbox (acked_at, dropped_at, priority, seq);

CREATE TABLE audit_log (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL,                  -- user id, 'display:<id>', 'system'
  action     TEXT NOT NULL,                  -- e.g. media.view, case.stop, login.fail
  target     TEXT,                           -- e.g. case id
  ip         TEXT,
  detail     TEXT                            -- JSON
) STRICT;
CREATE INDEX audit_at ON audit_log (at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
`,
  },
];

export const LATEST_VERSION = migrations.at(-1)?.version ?? 0;
