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
  {
    version: 3,
    name: 'sync: outbox triggers on timeline tables, file transfer state, commands, counters',
    sql: `
-- The outbox is filled by triggers, so an item is enqueued in the same transaction that
-- creates its data, whichever code writes it. Ids are stable: <kind>:<row id>:<outbox seq>.
-- The case label (PHI) and bookmark notes (free text) are never put in a payload.
CREATE INDEX outbox_case ON outbox (case_id, seq) WHERE case_id IS NOT NULL AND acked_at IS NULL;

-- One row per video file being uploaded: whole-file sha256 and the chunk size it was cut with.
CREATE TABLE sync_files (
  file_id       TEXT PRIMARY KEY,          -- transfer id (the recording id)
  outbox_id     TEXT NOT NULL,
  recording_id  TEXT NOT NULL,
  size_bytes    INTEGER NOT NULL,
  sha256        TEXT NOT NULL,
  chunk_bytes   INTEGER NOT NULL,
  init_acked_at INTEGER,
  fin_acked_at  INTEGER,
  created_at    INTEGER NOT NULL
) STRICT;
-- Chunks headquarters acknowledged as durably stored: an upload resumes after the last of them.
CREATE TABLE sync_file_chunks (
  file_id      TEXT NOT NULL REFERENCES sync_files(file_id) ON DELETE CASCADE,
  offset_bytes INTEGER NOT NULL,
  size_bytes   INTEGER NOT NULL,
  sha256       TEXT NOT NULL,
  acked_at     INTEGER NOT NULL,
  PRIMARY KEY (file_id, offset_bytes)
) STRICT, WITHOUT ROWID;
-- Cases whose every record and file headquarters acknowledged.
CREATE TABLE sync_cases (
  case_id    TEXT PRIMARY KEY,
  synced_at  INTEGER NOT NULL
) STRICT;
-- Commands received from headquarters (replays are refused by id).
CREATE TABLE sync_commands (
  id          TEXT PRIMARY KEY,
  type        TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  status      TEXT NOT NULL,               -- applied | failed | rejected
  detail      TEXT
) STRICT;
-- Counters that must survive restarts (rejected commands, malformed messages, drops).
CREATE TABLE sync_counters (
  name   TEXT PRIMARY KEY,
  value  INTEGER NOT NULL
) STRICT;
CREATE TRIGGER sync_cases_insert AFTER INSERT ON cases BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:case:' || NEW.id || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NEW.id, 'rec/case',
    CAST(json_object('id', NEW.id, 'procedure', NEW.procedure, 'surgeonId', NEW.surgeon_id, 'startedAt', NEW.started_at, 'endedAt', NEW.ended_at, 'endReason', NEW.end_reason, 'startedBy', NEW.started_by, 'modelVersion', NEW.model_version, 'counts', json_object('phaseSegments', (SELECT count(*) FROM phase_segments WHERE case_id = NEW.id), 'events', (SELECT count(*) FROM events WHERE case_id = NEW.id), 'bookmarks', (SELECT count(*) FROM bookmarks WHERE case_id = NEW.id), 'corrections', (SELECT count(*) FROM corrections WHERE case_id = NEW.id), 'recordings', (SELECT count(*) FROM recordings WHERE case_id = NEW.id))) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER sync_cases_update AFTER UPDATE OF procedure, surgeon_id, started_at, ended_at, end_reason, started_by, model_version ON cases BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:case:' || NEW.id || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NEW.id, 'rec/case',
    CAST(json_object('id', NEW.id, 'procedure', NEW.procedure, 'surgeonId', NEW.surgeon_id, 'startedAt', NEW.started_at, 'endedAt', NEW.ended_at, 'endReason', NEW.end_reason, 'startedBy', NEW.started_by, 'modelVersion', NEW.model_version, 'counts', json_object('phaseSegments', (SELECT count(*) FROM phase_segments WHERE case_id = NEW.id), 'events', (SELECT count(*) FROM events WHERE case_id = NEW.id), 'bookmarks', (SELECT count(*) FROM bookmarks WHERE case_id = NEW.id), 'corrections', (SELECT count(*) FROM corrections WHERE case_id = NEW.id), 'recordings', (SELECT count(*) FROM recordings WHERE case_id = NEW.id))) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER sync_phase_segments_insert AFTER INSERT ON phase_segments BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:phase_segment:' || NEW.id || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NEW.case_id, 'rec/phase_segment',
    CAST(json_object('id', NEW.id, 'caseId', NEW.case_id, 'phase', NEW.phase, 'startedAt', NEW.started_at, 'endedAt', NEW.ended_at, 'confidence', NEW.confidence, 'modelVersion', NEW.model_version, 'source', NEW.source, 'updatedAt', NEW.updated_at) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER sync_phase_segments_update AFTER UPDATE ON phase_segments BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:phase_segment:' || NEW.id || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NEW.case_id, 'rec/phase_segment',
    CAST(json_object('id', NEW.id, 'caseId', NEW.case_id, 'phase', NEW.phase, 'startedAt', NEW.started_at, 'endedAt', NEW.ended_at, 'confidence', NEW.confidence, 'modelVersion', NEW.model_version, 'source', NEW.source, 'updatedAt', NEW.updated_at) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER sync_events_insert AFTER INSERT ON events BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:event:' || NEW.id || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NEW.case_id, 'rec/event',
    CAST(json_object('id', NEW.id, 'caseId', NEW.case_id, 'at', NEW.at, 'type', NEW.type, 'sourceName', NEW.source_name, 'data', CASE WHEN json_valid(NEW.data) THEN json(NEW.data) END) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER sync_events_update AFTER UPDATE ON events BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:event:' || NEW.id || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NEW.case_id, 'rec/event',
    CAST(json_object('id', NEW.id, 'caseId', NEW.case_id, 'at', NEW.at, 'type', NEW.type, 'sourceName', NEW.source_name, 'data', CASE WHEN json_valid(NEW.data) THEN json(NEW.data) END) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER sync_bookmarks_insert AFTER INSERT ON bookmarks BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:bookmark:' || NEW.id || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NEW.case_id, 'rec/bookmark',
    CAST(json_object('id', NEW.id, 'caseId', NEW.case_id, 'at', NEW.at, 'createdBy', NEW.created_by, 'createdAt', NEW.created_at, 'updatedAt', NEW.updated_at, 'deletedAt', NEW.deleted_at) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER sync_bookmarks_update AFTER UPDATE OF case_id, at, created_by, created_at, updated_at, deleted_at ON bookmarks BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:bookmark:' || NEW.id || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NEW.case_id, 'rec/bookmark',
    CAST(json_object('id', NEW.id, 'caseId', NEW.case_id, 'at', NEW.at, 'createdBy', NEW.created_by, 'createdAt', NEW.created_at, 'updatedAt', NEW.updated_at, 'deletedAt', NEW.deleted_at) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER sync_corrections_insert AFTER INSERT ON corrections BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:correction:' || NEW.id || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NEW.case_id, 'rec/correction',
    CAST(json_object('id', NEW.id, 'caseId', NEW.case_id, 'segmentId', NEW.segment_id, 'kind', NEW.kind, 'modelPhase', NEW.model_phase, 'correctedPhase', NEW.corrected_phase, 'modelAt', NEW.model_at, 'correctedAt', NEW.corrected_at, 'createdBy', NEW.created_by, 'createdAt', NEW.created_at, 'deletedAt', NEW.deleted_at, 'updatedAt', NEW.updated_at) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER sync_corrections_update AFTER UPDATE ON corrections BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:correction:' || NEW.id || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NEW.case_id, 'rec/correction',
    CAST(json_object('id', NEW.id, 'caseId', NEW.case_id, 'segmentId', NEW.segment_id, 'kind', NEW.kind, 'modelPhase', NEW.model_phase, 'correctedPhase', NEW.corrected_phase, 'modelAt', NEW.model_at, 'correctedAt', NEW.corrected_at, 'createdBy', NEW.created_by, 'createdAt', NEW.created_at, 'deletedAt', NEW.deleted_at, 'updatedAt', NEW.updated_at) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER sync_recordings_insert AFTER INSERT ON recordings BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:recording:' || NEW.id || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NEW.case_id, 'rec/recording',
    CAST(json_object('id', NEW.id, 'caseId', NEW.case_id, 'sourceName', NEW.source_name, 'path', NEW.path, 'startedAt', NEW.started_at, 'durationMs', NEW.duration_ms, 'sizeBytes', NEW.size_bytes, 'sha256', NEW.sha256) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER sync_recordings_update AFTER UPDATE ON recordings BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:recording:' || NEW.id || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NEW.case_id, 'rec/recording',
    CAST(json_object('id', NEW.id, 'caseId', NEW.case_id, 'sourceName', NEW.source_name, 'path', NEW.path, 'startedAt', NEW.started_at, 'durationMs', NEW.duration_ms, 'sizeBytes', NEW.size_bytes, 'sha256', NEW.sha256) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER sync_audit_log_insert AFTER INSERT ON audit_log BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:audit:' || NEW.seq || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NULL, 'rec/audit',
    CAST(json_object('seq', NEW.seq, 'at', NEW.at, 'actor', NEW.actor, 'action', NEW.action, 'target', NEW.target, 'ip', NEW.ip, 'detail', CASE WHEN json_valid(NEW.detail) THEN json(NEW.detail) END) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER sync_recordings_file AFTER INSERT ON recordings BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('file:' || NEW.id, 'file', 50, NEW.case_id, 'file', CAST(json_object('recordingId', NEW.id) AS BLOB),
    CAST(unixepoch('subsec') * 1000 AS INTEGER))
  ON CONFLICT (id) DO NOTHING;
END;
`,
  },
  {
    version: 4,
    name: 'phase segments the temporal filter withdrew: kept, flagged, synced, out of search',
    sql: `
-- A segment the filter withdrew (its phase_retracted event: the phase before it never ended)
-- stays, with the time it was withdrawn, so nothing the wall display showed is lost; the
-- timeline, the duration history and search leave it out, headquarters gets the flag.
ALTER TABLE phase_segments ADD COLUMN retracted_at INTEGER;
DROP TRIGGER sync_phase_segments_insert;
DROP TRIGGER sync_phase_segments_update;
CREATE TRIGGER sync_phase_segments_insert AFTER INSERT ON phase_segments BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:phase_segment:' || NEW.id || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NEW.case_id, 'rec/phase_segment',
    CAST(json_object('id', NEW.id, 'caseId', NEW.case_id, 'phase', NEW.phase, 'startedAt', NEW.started_at, 'endedAt', NEW.ended_at, 'confidence', NEW.confidence, 'modelVersion', NEW.model_version, 'source', NEW.source, 'updatedAt', NEW.updated_at, 'retractedAt', NEW.retracted_at) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER sync_phase_segments_update AFTER UPDATE ON phase_segments BEGIN
  INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
  VALUES ('rec:phase_segment:' || NEW.id || ':' || (coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0) + 1), 'record', 10, NEW.case_id, 'rec/phase_segment',
    CAST(json_object('id', NEW.id, 'caseId', NEW.case_id, 'phase', NEW.phase, 'startedAt', NEW.started_at, 'endedAt', NEW.ended_at, 'confidence', NEW.confidence, 'modelVersion', NEW.model_version, 'source', NEW.source, 'updatedAt', NEW.updated_at, 'retractedAt', NEW.retracted_at) AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER search_segment_retracted AFTER UPDATE OF retracted_at ON phase_segments
WHEN NEW.retracted_at IS NOT NULL BEGIN
  DELETE FROM search_index WHERE kind = 'phase' AND ref_id = NEW.id;
END;
`,
  },
];

export const LATEST_VERSION = migrations.at(-1)?.version ?? 0;
