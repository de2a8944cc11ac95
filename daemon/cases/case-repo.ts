import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { Db, Store } from '../store/index.js';
import type {
  BookmarkRecord,
  CaseRecord,
  CorrectionKind,
  CorrectionRecord,
  EventRecord,
  SegmentRecord,
} from './records.js';

/** Row shapes as SQLite returns them. */
interface CaseRow {
  id: string;
  procedure: string;
  surgeon_id: string | null;
  label: string | null;
  started_at: number;
  ended_at: number | null;
  end_reason: string | null;
  started_by: string;
  model_version: string | null;
  updated_at: number;
}
interface SegmentRow {
  id: string;
  case_id: string;
  phase: string;
  started_at: number;
  ended_at: number | null;
  confidence: number | null;
  model_version: string | null;
}
interface EventRow {
  id: string;
  at: number;
  type: string;
  source_name: string | null;
  data: string | null;
}
interface BookmarkRow {
  id: string;
  case_id: string;
  at: number;
  note: string;
  created_by: string;
  created_at: number;
  updated_at: number;
}
interface CorrectionRow {
  id: string;
  case_id: string;
  segment_id: string;
  kind: CorrectionKind;
  model_phase: string | null;
  corrected_phase: string | null;
  model_at: number | null;
  corrected_at: number | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}
export interface RecordingRow {
  id: string;
  case_id: string;
  source_name: string;
  path: string;
  started_at: number;
  duration_ms: number;
  size_bytes: number;
  sha256: string | null;
}

export interface CaseFilter {
  procedure?: string;
  surgeonId?: string;
  fromMs?: number;
  toMs?: number;
  open?: boolean;
  limit: number;
  offset: number;
}

const toCase = (r: CaseRow): CaseRecord => ({
  id: r.id,
  procedure: r.procedure,
  surgeonId: r.surgeon_id,
  label: r.label,
  startedAtMs: r.started_at,
  endedAtMs: r.ended_at,
  endReason: r.end_reason,
  startedBy: r.started_by,
  modelVersion: r.model_version,
  updatedAtMs: r.updated_at,
});
const toSegment = (r: SegmentRow): SegmentRecord => ({
  id: r.id,
  phase: r.phase,
  startedAtMs: r.started_at,
  endedAtMs: r.ended_at,
  confidence: r.confidence,
  modelVersion: r.model_version,
});
const toEvent = (r: EventRow): EventRecord => ({
  id: r.id,
  atMs: r.at,
  type: r.type,
  sourceName: r.source_name,
  data: r.data ? (JSON.parse(r.data) as Record<string, unknown>) : null,
});
const toBookmark = (r: BookmarkRow): BookmarkRecord => ({
  id: r.id,
  atMs: r.at,
  note: r.note,
  createdBy: r.created_by,
  createdAtMs: r.created_at,
  updatedAtMs: r.updated_at,
});
const toCorrection = (r: CorrectionRow): CorrectionRecord => ({
  id: r.id,
  segmentId: r.segment_id,
  kind: r.kind,
  modelPhase: r.model_phase,
  correctedPhase: r.corrected_phase,
  modelAtMs: r.model_at,
  correctedAtMs: r.corrected_at,
  createdBy: r.created_by,
  createdAtMs: r.created_at,
  updatedAtMs: r.updated_at,
});

/**
 * SQL for cases and their timeline. Writes are plain statements; callers group them in
 * `store.tx` so a change and its audit entry commit together.
 */
export class CaseRepo {
  constructor(private readonly store: Store) {}

  private get db(): Db {
    return this.store.db;
  }

  tx<T>(fn: () => T): T {
    return this.store.tx(fn);
  }

  // ---- cases
  openCase(): CaseRecord | undefined {
    const r = this.db.prepare('SELECT * FROM cases WHERE ended_at IS NULL').get() as CaseRow | undefined;
    return r && toCase(r);
  }

  getCase(id: string): CaseRecord | undefined {
    const r = this.db.prepare('SELECT * FROM cases WHERE id = ?').get(id) as CaseRow | undefined;
    return r && toCase(r);
  }

  listCases(f: CaseFilter): { items: CaseRecord[]; total: number } {
    const { parts: where, args } = sqlClauses([
      ['procedure = ?', f.procedure],
      ['surgeon_id = ?', f.surgeonId],
      ['started_at >= ?', f.fromMs],
      ['started_at < ?', f.toMs],
    ]);
    if (f.open !== undefined) where.push(f.open ? 'ended_at IS NULL' : 'ended_at IS NOT NULL');
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT count(*) AS n FROM cases ${w}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM cases ${w} ORDER BY started_at DESC, id LIMIT ? OFFSET ?`)
      .all(...args, f.limit, f.offset) as CaseRow[];
    return { items: rows.map(toCase), total };
  }

  insertCase(c: {
    procedure: string;
    surgeonId: string | null;
    label: string | null;
    startedAtMs: number;
    startedBy: string;
    modelVersion: string | null;
    nowMs: number;
  }): CaseRecord {
    const id = randomUUID();
    this.db
      .prepare(
        `INSERT INTO cases (id, procedure, surgeon_id, label, started_at, started_by, model_version, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, c.procedure, c.surgeonId, c.label, c.startedAtMs, c.startedBy, c.modelVersion, c.nowMs);
    return this.getCase(id)!;
  }

  closeCase(id: string, endedAtMs: number, reason: string, nowMs: number): void {
    this.db
      .prepare(
        'UPDATE cases SET ended_at = ?, end_reason = ?, updated_at = ? WHERE id = ? AND ended_at IS NULL',
      )
      .run(endedAtMs, reason, nowMs, id);
  }

  updateCase(
    id: string,
    patch: { procedure?: string; surgeonId?: string | null; label?: string | null },
    nowMs: number,
  ): void {
    const { parts: sets, args } = sqlClauses([
      ['procedure = ?', patch.procedure],
      ['surgeon_id = ?', patch.surgeonId],
      ['label = ?', patch.label],
    ]);
    if (sets.length === 0) return;
    this.db
      .prepare(`UPDATE cases SET ${sets.join(', ')}, updated_at = ? WHERE id = ?`)
      .run(...args, nowMs, id);
  }

  /** Completed cases of a procedure, newest first. */
  completedCases(procedure: string, limit: number, surgeonId?: string): CaseRecord[] {
    const rows = (
      surgeonId === undefined
        ? this.db
            .prepare(
              'SELECT * FROM cases WHERE procedure = ? AND ended_at IS NOT NULL ORDER BY started_at DESC LIMIT ?',
            )
            .all(procedure, limit)
        : this.db
            .prepare(
              `SELECT * FROM cases WHERE procedure = ? AND surgeon_id = ? AND ended_at IS NOT NULL
               ORDER BY started_at DESC LIMIT ?`,
            )
            .all(procedure, surgeonId, limit)
    ) as CaseRow[];
    return rows.map(toCase);
  }

  // ---- phase segments
  segments(caseId: string): SegmentRecord[] {
    return (
      this.db
        .prepare(
          'SELECT * FROM phase_segments WHERE case_id = ? AND retracted_at IS NULL ORDER BY started_at, rowid',
        )
        .all(caseId) as SegmentRow[]
    ).map(toSegment);
  }

  openSegment(caseId: string): SegmentRecord | undefined {
    const r = this.db
      .prepare('SELECT * FROM phase_segments WHERE case_id = ? AND ended_at IS NULL')
      .get(caseId) as SegmentRow | undefined;
    return r && toSegment(r);
  }

  getSegment(caseId: string, id: string): SegmentRecord | undefined {
    const r = this.db
      .prepare('SELECT * FROM phase_segments WHERE case_id = ? AND id = ? AND retracted_at IS NULL')
      .get(caseId, id) as SegmentRow | undefined;
    return r && toSegment(r);
  }

  insertSegment(s: {
    /** A fresh uuid when absent. */
    id?: string;
    caseId: string;
    phase: string;
    startedAtMs: number;
    confidence: number | null;
    modelVersion: string | null;
    nowMs: number;
  }): SegmentRecord {
    const id = s.id ?? randomUUID();
    this.db
      .prepare(
        `INSERT INTO phase_segments (id, case_id, phase, started_at, confidence, model_version, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, s.caseId, s.phase, s.startedAtMs, s.confidence, s.modelVersion, s.nowMs);
    return {
      id,
      phase: s.phase,
      startedAtMs: s.startedAtMs,
      endedAtMs: null,
      confidence: s.confidence,
      modelVersion: s.modelVersion,
    };
  }

  closeSegment(id: string, endedAtMs: number, nowMs: number): void {
    this.db
      .prepare('UPDATE phase_segments SET ended_at = ?, updated_at = ? WHERE id = ? AND ended_at IS NULL')
      .run(endedAtMs, nowMs, id);
  }

  /**
   * Withdraws the running segment `id` (kept, flagged, closed where it began) and reopens
   * `resumeId`, the segment before it, which then never ended. Call inside tx().
   */
  retractSegment(id: string, resumeId: string | undefined, nowMs: number): void {
    const done = this.db
      .prepare(
        `UPDATE phase_segments SET ended_at = started_at, retracted_at = ?, updated_at = ?
         WHERE id = ? AND ended_at IS NULL AND retracted_at IS NULL`,
      )
      .run(nowMs, nowMs, id);
    if (done.changes !== 1) throw new Error(`segment ${id} is not the running segment`);
    if (resumeId === undefined) return;
    this.db
      .prepare(
        'UPDATE phase_segments SET ended_at = NULL, updated_at = ? WHERE id = ? AND retracted_at IS NULL',
      )
      .run(nowMs, resumeId);
  }

  // ---- events
  insertEvent(e: {
    caseId: string | null;
    atMs: number;
    type: string;
    sourceName?: string | null;
    data?: Record<string, unknown> | null;
  }): EventRecord {
    const id = randomUUID();
    const data = e.data ? JSON.stringify(e.data) : null;
    this.db
      .prepare('INSERT INTO events (id, case_id, at, type, source_name, data) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, e.caseId, e.atMs, e.type, e.sourceName ?? null, data);
    return { id, atMs: e.atMs, type: e.type, sourceName: e.sourceName ?? null, data: e.data ?? null };
  }

  events(caseId: string): EventRecord[] {
    return (
      this.db.prepare('SELECT * FROM events WHERE case_id = ? ORDER BY at, rowid').all(caseId) as EventRow[]
    ).map(toEvent);
  }

  // ---- bookmarks
  bookmarks(caseId: string): BookmarkRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM bookmarks WHERE case_id = ? AND deleted_at IS NULL ORDER BY at, id')
        .all(caseId) as BookmarkRow[]
    ).map(toBookmark);
  }

  getBookmark(caseId: string, id: string): BookmarkRecord | undefined {
    const r = this.db
      .prepare('SELECT * FROM bookmarks WHERE case_id = ? AND id = ? AND deleted_at IS NULL')
      .get(caseId, id) as BookmarkRow | undefined;
    return r && toBookmark(r);
  }

  insertBookmark(b: {
    caseId: string;
    atMs: number;
    note: string;
    createdBy: string;
    nowMs: number;
  }): string {
    const id = randomUUID();
    this.db
      .prepare(
        `INSERT INTO bookmarks (id, case_id, at, note, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, b.caseId, b.atMs, b.note, b.createdBy, b.nowMs, b.nowMs);
    return id;
  }

  updateBookmark(id: string, patch: { atMs?: number; note?: string }, nowMs: number): void {
    this.db
      .prepare(
        'UPDATE bookmarks SET at = coalesce(?, at), note = coalesce(?, note), updated_at = ? WHERE id = ?',
      )
      .run(patch.atMs ?? null, patch.note ?? null, nowMs, id);
  }

  deleteBookmark(id: string, nowMs: number): void {
    this.db.prepare('UPDATE bookmarks SET deleted_at = ?, updated_at = ? WHERE id = ?').run(nowMs, nowMs, id);
  }

  // ---- corrections
  corrections(caseId: string): CorrectionRecord[] {
    return (
      this.db
        .prepare(
          'SELECT * FROM corrections WHERE case_id = ? AND deleted_at IS NULL ORDER BY created_at, rowid',
        )
        .all(caseId) as CorrectionRow[]
    ).map(toCorrection);
  }

  getCorrection(caseId: string, id: string): CorrectionRecord | undefined {
    const r = this.db
      .prepare('SELECT * FROM corrections WHERE case_id = ? AND id = ? AND deleted_at IS NULL')
      .get(caseId, id) as CorrectionRow | undefined;
    return r && toCorrection(r);
  }

  insertCorrection(c: {
    caseId: string;
    segmentId: string;
    kind: CorrectionKind;
    modelPhase: string | null;
    correctedPhase: string | null;
    modelAtMs: number | null;
    correctedAtMs: number | null;
    createdBy: string;
    nowMs: number;
  }): string {
    const id = randomUUID();
    this.db
      .prepare(
        `INSERT INTO corrections (id, case_id, segment_id, kind, model_phase, corrected_phase, model_at,
           corrected_at, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        c.caseId,
        c.segmentId,
        c.kind,
        c.modelPhase,
        c.correctedPhase,
        c.modelAtMs,
        c.correctedAtMs,
        c.createdBy,
        c.nowMs,
        c.nowMs,
      );
    return id;
  }

  updateCorrection(
    id: string,
    patch: { correctedPhase?: string; correctedAtMs?: number },
    nowMs: number,
  ): void {
    this.db
      .prepare(
        `UPDATE corrections SET corrected_phase = coalesce(?, corrected_phase),
           corrected_at = coalesce(?, corrected_at), updated_at = ? WHERE id = ?`,
      )
      .run(patch.correctedPhase ?? null, patch.correctedAtMs ?? null, nowMs, id);
  }

  deleteCorrection(id: string, nowMs: number): void {
    this.db
      .prepare('UPDATE corrections SET deleted_at = ?, updated_at = ? WHERE id = ?')
      .run(nowMs, nowMs, id);
  }

  // ---- recordings
  /** Stores a closed chunk once (the path is unique); false when the case is unknown. */
  insertRecording(r: Omit<RecordingRow, 'id' | 'sha256'> & { sha256?: string | null }): boolean {
    if (!this.db.prepare('SELECT 1 FROM cases WHERE id = ?').get(r.case_id)) return false;
    this.db
      .prepare(
        `INSERT OR IGNORE INTO recordings (id, case_id, source_name, path, started_at, duration_ms, size_bytes, sha256)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        randomUUID(),
        r.case_id,
        r.source_name,
        r.path,
        r.started_at,
        r.duration_ms,
        r.size_bytes,
        r.sha256 ?? null,
      );
    return true;
  }

  recordings(caseId: string, source?: string): RecordingRow[] {
    return (
      source === undefined
        ? this.db
            .prepare('SELECT * FROM recordings WHERE case_id = ? ORDER BY source_name, started_at')
            .all(caseId)
        : this.db
            .prepare('SELECT * FROM recordings WHERE case_id = ? AND source_name = ? ORDER BY started_at')
            .all(caseId, source)
    ) as RecordingRow[];
  }

  /** The chunk of this case and source whose file name is `name` (names come from the table only). */
  recordingByName(caseId: string, source: string, name: string): RecordingRow | undefined {
    return this.recordings(caseId, source).find((r) => basename(r.path) === name);
  }
}

/** SQL fragments with one placeholder each, kept where their value is given (null counts: it sets NULL). */
function sqlClauses(pairs: ReadonlyArray<readonly [string, unknown]>): { parts: string[]; args: unknown[] } {
  const given = pairs.filter(([, v]) => v !== undefined);
  return { parts: given.map(([sql]) => sql), args: given.map(([, v]) => v) };
}
