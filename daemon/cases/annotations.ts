import type { ModelInfo } from '../../inference/index.js';
import { type Actor, type AuditLog, actorId } from './audit-log.js';
import { CaseError } from './case-error.js';
import type { CaseRepo } from './case-repo.js';
import type { CaseHistory } from './history.js';
import type {
  BookmarkRecord,
  CaseRecord,
  CorrectionKind,
  CorrectionRecord,
  SegmentRecord,
} from './records.js';
import { boundaryRange, effectiveSegments } from './timeline.js';

export interface AnnotationsOptions {
  repo: CaseRepo;
  audit: AuditLog;
  history: CaseHistory;
  /** The active model (its phases are the labels a relabel may use). */
  model: () => ModelInfo | null;
  now: () => number;
  /** A case's corrections changed (the engine refreshes the live timeline of the open case). */
  onChange: (caseId: string) => void;
}

/**
 * What clinicians add to a timeline: bookmarks (a moment and a note) and corrections (a
 * relabel or a moved boundary). The model's segments are never changed; each change and its
 * audit entry commit in one transaction.
 */
export class Annotations {
  constructor(private readonly o: AnnotationsOptions) {}

  addBookmark(actor: Actor, caseId: string, b: { atMs?: number; note: string }, ip?: string): BookmarkRecord {
    const c = this.requireCase(caseId);
    const now = this.o.now();
    const atMs = b.atMs ?? now;
    this.checkInCase(c, atMs, now);
    const id = this.o.repo.tx(() => {
      const newId = this.o.repo.insertBookmark({
        caseId,
        atMs,
        note: b.note,
        createdBy: actorId(actor),
        nowMs: now,
      });
      this.audit(actor, 'bookmark.create', caseId, ip, { bookmarkId: newId });
      return newId;
    });
    return this.o.repo.getBookmark(caseId, id)!;
  }

  updateBookmark(
    actor: Actor,
    caseId: string,
    id: string,
    patch: { atMs?: number; note?: string },
    ip?: string,
  ): BookmarkRecord {
    const c = this.requireCase(caseId);
    this.requireBookmark(caseId, id);
    const now = this.o.now();
    if (patch.atMs !== undefined) this.checkInCase(c, patch.atMs, now);
    this.o.repo.tx(() => {
      this.o.repo.updateBookmark(id, patch, now);
      this.audit(actor, 'bookmark.update', caseId, ip, { bookmarkId: id, fields: Object.keys(patch) });
    });
    return this.o.repo.getBookmark(caseId, id)!;
  }

  deleteBookmark(actor: Actor, caseId: string, id: string, ip?: string): void {
    this.requireCase(caseId);
    this.requireBookmark(caseId, id);
    this.o.repo.tx(() => {
      this.o.repo.deleteBookmark(id, this.o.now());
      this.audit(actor, 'bookmark.delete', caseId, ip, { bookmarkId: id });
    });
  }

  addCorrection(
    actor: Actor,
    caseId: string,
    body: { segmentId: string; kind: CorrectionKind; phase?: string; atMs?: number },
    ip?: string,
  ): CorrectionRecord {
    const c = this.requireCase(caseId);
    const seg = this.o.repo.getSegment(caseId, body.segmentId);
    if (!seg) throw new CaseError('SEGMENT_NOT_FOUND', `case ${caseId} has no segment ${body.segmentId}`);
    const existing = this.o.repo.corrections(caseId);
    const values = this.validateCorrection(c, seg, body.kind, body, existing);
    const now = this.o.now();
    const id = this.o.repo.tx(() => {
      const newId = this.o.repo.insertCorrection({
        caseId,
        segmentId: seg.id,
        kind: body.kind,
        modelPhase: body.kind === 'relabel' ? seg.phase : null,
        correctedPhase: values.phase ?? null,
        modelAtMs: body.kind === 'move_boundary' ? seg.startedAtMs : null,
        correctedAtMs: values.atMs ?? null,
        createdBy: actorId(actor),
        nowMs: now,
      });
      this.audit(actor, 'correction.create', caseId, ip, { correctionId: newId, kind: body.kind });
      return newId;
    });
    this.afterCorrection(caseId);
    return this.o.repo.getCorrection(caseId, id)!;
  }

  updateCorrection(
    actor: Actor,
    caseId: string,
    id: string,
    patch: { phase?: string; atMs?: number },
    ip?: string,
  ): CorrectionRecord {
    const c = this.requireCase(caseId);
    const corr = this.o.repo.getCorrection(caseId, id);
    if (!corr) throw new CaseError('CORRECTION_NOT_FOUND', `case ${caseId} has no correction ${id}`);
    const seg = this.o.repo.getSegment(caseId, corr.segmentId)!;
    const others = this.o.repo.corrections(caseId).filter((x) => x.id !== id);
    const values = this.validateCorrection(c, seg, corr.kind, patch, others);
    this.o.repo.tx(() => {
      this.o.repo.updateCorrection(
        id,
        { correctedPhase: values.phase, correctedAtMs: values.atMs },
        this.o.now(),
      );
      this.audit(actor, 'correction.update', caseId, ip, { correctionId: id });
    });
    this.afterCorrection(caseId);
    return this.o.repo.getCorrection(caseId, id)!;
  }

  deleteCorrection(actor: Actor, caseId: string, id: string, ip?: string): void {
    this.requireCase(caseId);
    if (!this.o.repo.getCorrection(caseId, id)) {
      throw new CaseError('CORRECTION_NOT_FOUND', `case ${caseId} has no correction ${id}`);
    }
    this.o.repo.tx(() => {
      this.o.repo.deleteCorrection(id, this.o.now());
      this.audit(actor, 'correction.delete', caseId, ip, { correctionId: id });
    });
    this.afterCorrection(caseId);
  }

  private validateCorrection(
    c: CaseRecord,
    seg: SegmentRecord,
    kind: CorrectionKind,
    v: { phase?: string; atMs?: number },
    others: readonly CorrectionRecord[],
  ): { phase?: string; atMs?: number } {
    if (kind === 'relabel') {
      if (v.atMs !== undefined)
        throw new CaseError('CORRECTION_INVALID', 'a relabel takes "phase", not "atMs"');
      if (v.phase === undefined) throw new CaseError('CORRECTION_INVALID', 'a relabel needs "phase"');
      const known = this.o.model()?.phases.map((p) => p.id);
      if (known && known.length > 0 && !known.includes(v.phase)) {
        throw new CaseError('PHASE_UNKNOWN', `unknown phase "${v.phase}"; known phases: ${known.join(', ')}`);
      }
      return { phase: v.phase };
    }
    if (v.phase !== undefined)
      throw new CaseError('CORRECTION_INVALID', 'a boundary move takes "atMs", not "phase"');
    if (v.atMs === undefined) throw new CaseError('CORRECTION_INVALID', 'a boundary move needs "atMs"');
    const eff = effectiveSegments(this.o.repo.segments(c.id), others);
    const range = boundaryRange(eff, seg.id, c.startedAtMs, c.endedAtMs ?? this.o.now());
    if (!range || v.atMs < range.minMs || v.atMs > range.maxMs) {
      throw new CaseError(
        'TIME_OUT_OF_RANGE',
        `atMs must lie between ${range?.minMs} and ${range?.maxMs} (after the previous segment starts, before this one ends)`,
      );
    }
    return { atMs: v.atMs };
  }

  private afterCorrection(caseId: string): void {
    this.o.history.invalidate();
    this.o.onChange(caseId);
  }

  // ---------------------------------------------------------------- helpers
  private requireCase(caseId: string): CaseRecord {
    const c = this.o.repo.getCase(caseId);
    if (!c) throw new CaseError('CASE_NOT_FOUND', `no case ${caseId}`);
    return c;
  }

  private requireBookmark(caseId: string, id: string): void {
    if (!this.o.repo.getBookmark(caseId, id)) {
      throw new CaseError('BOOKMARK_NOT_FOUND', `case ${caseId} has no bookmark ${id}`);
    }
  }

  private checkInCase(c: CaseRecord, atMs: number, now: number): void {
    const endMs = c.endedAtMs ?? now;
    if (atMs < c.startedAtMs || atMs > endMs) {
      throw new CaseError(
        'TIME_OUT_OF_RANGE',
        `atMs must lie within the case (${c.startedAtMs} to ${endMs})`,
      );
    }
  }

  private audit(actor: Actor, action: string, target: string, ip?: string, detail?: Record<string, unknown>) {
    this.o.audit.append({ actor, action, target, ip: ip ?? null, detail });
  }
}
