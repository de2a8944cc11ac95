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
  {
    version: 2,
    name: 'cases: accounts, sessions, display tokens, search index, update stamps',
    sql: `
ALTER TABLE cases ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE phase_segments ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE corrections ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
-- At most one open segment per case; a recording chunk is stored once.
CREATE UNIQUE INDEX phase_segments_one_open ON phase_segments (case_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX recordings_path ON recordings (path);
CREATE INDEX cases_procedure ON cases (procedure, ended_at);

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,                 -- scrypt$N$r$p$salt$hash (base64)
  role          TEXT NOT NULL CHECK (role IN ('display', 'clinician', 'admin')),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  disabled_at   INTEGER
) STRICT;

CREATE TABLE sessions (
  token_hash  TEXT PRIMARY KEY,                -- sha256 of the bearer token; the token is never stored
  user_id     TEXT NOT NULL REFERENCES users(id),
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked_at  INTEGER
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE display_tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
) STRICT;

-- Full-text search over the timeline; kept current by triggers so every writer is covered.
CREATE VIRTUAL TABLE search_index USING fts5(
  text, case_id UNINDEXED, kind UNINDEXED, ref_id UNINDEXED, at UNINDEXED,
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER search_case_ins AFTER INSERT ON cases BEGIN
  INSERT INTO search_index (text, case_id, kind, ref_id, at) VALUES (
    trim(coalesce(NEW.label, '') || ' ' || replace(NEW.procedure, '_', ' ') || ' ' ||
      coalesce(NEW.surgeon_id, '') || ' ' || date(NEW.started_at / 1000, 'unixepoch', 'localtime')),
    NEW.id, 'case', NEW.id, NEW.started_at);
END;
CREATE TRIGGER search_case_upd AFTER UPDATE OF label, procedure, surgeon_id ON cases BEGIN
  DELETE FROM search_index WHERE kind = 'case' AND ref_id = OLD.id;
  INSERT INTO search_index (text, case_id, kind, ref_id, at) VALUES (
    trim(coalesce(NEW.label, '') || ' ' || replace(NEW.procedure, '_', ' ') || ' ' ||
      coalesce(NEW.surgeon_id, '') || ' ' || date(NEW.started_at / 1000, 'unixepoch', 'localtime')),
    NEW.id, 'case', NEW.id, NEW.started_at);
END;
CREATE TRIGGER search_segment_ins AFTER INSERT ON phase_segments BEGIN
  INSERT INTO search_index (text, case_id, kind, ref_id, at)
  VALUES (replace(NEW.phase, '_', ' '), NEW.case_id, 'phase', NEW.id, NEW.started_at);
END;
CREATE TRIGGER search_event_ins AFTER INSERT ON events WHEN NEW.case_id IS NOT NULL BEGIN
  INSERT INTO search_index (text, case_id, kind, ref_id, at)
  VALUES (replace(NEW.type, '_', ' ') || ' ' || coalesce(NEW.source_name, ''), NEW.case_id, 'event', NEW.id, NEW.at);
END;
CREATE TRIGGER search_bookmark_ins AFTER INSERT ON bookmarks BEGIN
  INSERT INTO search_index (text, case_id, kind, ref_id, at)
  VALUES ('bookmark ' || NEW.note, NEW.case_id, 'bookmark', NEW.id, NEW.at);
END;
CREATE TRIGGER search_bookmark_upd AFTER UPDATE OF note, at, deleted_at ON bookmarks BEGIN
  DELETE FROM search_index WHERE kind = 'bookmark' AND ref_id = OLD.id;
  INSERT INTO search_index (text, case_id, kind, ref_id, at)
  SELECT 'bookmark ' || NEW.note, NEW.case_id, 'bookmark', NEW.id, NEW.at WHERE NEW.deleted_at IS NULL;
END;
CREATE TRIGGER search_correction_ins AFTER INSERT ON corrections WHEN NEW.corrected_phase IS NOT NULL BEGIN
  INSERT INTO search_index (text, case_id, kind, ref_id, at)
  VALUES ('correction ' || replace(NEW.corrected_phase, '_', ' '), NEW.case_id, 'correction', NEW.id,
    coalesce(NEW.corrected_at, NEW.model_at, NEW.created_at));
END;
CREATE TRIGGER search_correction_upd AFTER UPDATE OF corrected_phase, corrected_at, deleted_at ON corrections BEGIN
  DELETE FROM search_index WHERE kind = 'correction' AND ref_id = OLD.id;
  INSERT INTO search_index (text, case_id, kind, ref_id, at)
  SELECT 'correction ' || replace(NEW.corrected_phase, '_', ' '), NEW.case_id, 'correction', NEW.id,
    coalesce(NEW.corrected_at, NEW.model_at, NEW.created_at)
  WHERE NEW.deleted_at IS NULL AND NEW.corrected_phase IS NOT NULL;
END;
`,
  },
];

export const LATEST_VERSION = migrations.at(-1)?.version ?? 0;
