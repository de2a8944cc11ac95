import type { RecordingChunk, SourceStatus } from '../../capture/index.js';
import type { Config } from '../../config/index.js';
import type { ModelInfo, PhaseEvent } from '../../inference/index.js';
import type { LiveSource, LiveState } from '../../ui/live-types.js';
import type { EventBus } from '../bus.js';
import type { Logger } from '../log.js';
import { type Actor, type AuditLog, actorId } from './audit-log.js';
import type { RecordingGap } from './bus-events.js';
import { CaseError } from './case-error.js';
import type { CaseRepo } from './case-repo.js';
import type { CaseHistory } from './history.js';
import type { LiveStateStore } from './live-state.js';
import { predict } from './predictions.js';
import type {
  BookmarkRecord,
  CaseRecord,
  CorrectionKind,
  CorrectionRecord,
  SegmentRecord,
} from './records.js';
import { boundaryRange, effectiveSegments } from './timeline.js';

/** The recorder controls the case engine needs (capture implements them). */
export interface RecordingControl {
  startRecording(caseId: string): unknown;
  stopRecording(): unknown;
  pauseRecording?(reason?: string): unknown;
  resumeRecording?(): unknown;
}

export interface CaseEngineOptions {
  repo: CaseRepo;
  audit: AuditLog;
  live: LiveStateStore;
  history: CaseHistory;
  bus: EventBus;
  log: Logger;
  config: Pick<Config, 'cases' | 'capture' | 'inference'>;
  recorder?: RecordingControl;
  now?: () => number;
}

interface Detected {
  phase: string;
  startedAtMs: number;
  confidence: number;
  modelVersion: string | null;
}

const OWNER = 'cases';
const DEFAULT_COLOR = '#8a8f98';

/**
 * The one owner of case state. It turns capture and inference events into a case with a
 * timeline, opens and closes cases (by staff or automatically), keeps the room's live state
 * and its predictions, and rebuilds all of it from the database after a restart.
 */
export class CaseEngine {
  private openCase: CaseRecord | null = null;
  private segments: SegmentRecord[] = [];
  private corrections: CorrectionRecord[] = [];
  private detected: Detected | null = null;
  private readonly outOfBody = new Set<string>();
  private readonly sources = new Map<string, SourceStatus>();
  private model_: ModelInfo | null = null;
  private inBodySinceMs: number | null = null;
  private absentSinceMs: number | null = null;
  /** Auto-start needs the video to leave the body once after a case closes. */
  private autoStartArmed = true;
  private autoTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly o: CaseEngineOptions) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  // ---------------------------------------------------------------- lifecycle
  start(): void {
    this.rebuild();
    const { bus } = this.o;
    bus.on('inference.phase', OWNER, (e) => this.onPhase(e));
    bus.on('inference.model', OWNER, (m) => this.onModel(m));
    bus.on('capture.source_status', OWNER, (s) => this.onSourceStatus(s));
    bus.on('capture.chunk_closed', OWNER, (c) => this.onChunk(c));
    bus.on('capture.recording_gap', OWNER, (g) => this.onGap(g));
    this.running = true;
    this.refreshTimer = setInterval(() => this.publish(), this.o.config.cases.prediction_refresh_s * 1000);
    this.refreshTimer.unref();
    this.evaluate();
  }

  stop(): void {
    this.running = false;
    this.o.bus.removeOwner(OWNER);
    clearTimeout(this.autoTimer);
    clearInterval(this.refreshTimer);
  }

  /** The open case and its running segment, as the database has them (after a restart too). */
  private rebuild(): void {
    const open = this.o.repo.openCase();
    this.openCase = open ?? null;
    this.segments = open ? this.o.repo.segments(open.id) : [];
    this.corrections = open ? this.o.repo.corrections(open.id) : [];
    const running = this.segments.find((s) => s.endedAtMs === null);
    this.detected = running
      ? {
          phase: running.phase,
          startedAtMs: running.startedAtMs,
          confidence: running.confidence ?? 0,
          modelVersion: running.modelVersion,
        }
      : null;
    if (open) {
      this.o.repo.tx(() =>
        this.o.repo.insertEvent({ caseId: open.id, atMs: this.now(), type: 'case_resumed', data: null }),
      );
      this.o.log.info(
        { caseId: open.id, segments: this.segments.length },
        'open case resumed from the database',
      );
      this.startRecording(open.id);
    }
    this.publish();
  }

  health(): { openCaseId: string | null; sources: number; model: string | null } {
    return {
      openCaseId: this.openCase?.id ?? null,
      sources: this.sources.size,
      model: this.model_?.version ?? null,
    };
  }

  get model(): ModelInfo | null {
    return this.model_;
  }

  get currentCase(): CaseRecord | null {
    return this.openCase;
  }

  // ---------------------------------------------------------------- inputs
  private onPhase(e: PhaseEvent): void {
    switch (e.type) {
      case 'phase_started':
        this.detected = {
          phase: e.phase,
          startedAtMs: e.atMs,
          confidence: e.confidence,
          modelVersion: e.modelVersion,
        };
        if (this.openCase) this.startSegment(this.openCase, this.detected);
        break;
      case 'phase_ended': {
        if (this.detected?.phase === e.phase) this.detected = null;
        const running = this.runningSegment();
        if (running && running.phase === e.phase) this.closeSegment(running, e.atMs);
        break;
      }
      case 'out_of_body_started':
        this.outOfBody.add(e.source);
        this.recordEvent('out_of_body_in', e.atMs, e.source);
        if (this.openCase && this.o.config.inference.pause_recording_out_of_body) {
          this.callRecorder('pauseRecording', 'out_of_body');
        }
        break;
      case 'out_of_body_ended':
        this.outOfBody.delete(e.source);
        this.recordEvent('out_of_body_out', e.atMs, e.source);
        if (this.openCase && this.o.config.inference.pause_recording_out_of_body) {
          this.callRecorder('resumeRecording');
        }
        break;
    }
    this.evaluate();
    this.publish();
  }

  private onModel(m: ModelInfo): void {
    const previous = this.model_?.version ?? null;
    this.model_ = m;
    if (previous !== m.version) {
      this.recordEvent('model_changed', this.now(), null, { from: previous, to: m.version });
    }
    this.o.history.invalidate();
    this.publish();
  }

  private onSourceStatus(s: SourceStatus): void {
    const prev = this.sources.get(s.source);
    this.sources.set(s.source, s);
    const wasLive = prev?.state === 'live';
    const isLive = s.state === 'live';
    if (prev && wasLive && !isLive) this.recordEvent('source_lost', s.sinceMs, s.source, { state: s.state });
    if (prev && !wasLive && isLive) this.recordEvent('source_recovered', s.sinceMs, s.source, null);
    this.evaluate();
    this.publish();
  }

  private onChunk(c: RecordingChunk): void {
    const stored = this.o.repo.tx(() =>
      this.o.repo.insertRecording({
        case_id: c.caseId,
        source_name: c.source,
        path: c.path,
        started_at: Math.round(c.startedAtMs),
        duration_ms: Math.round(c.durationMs),
        size_bytes: c.sizeBytes,
        sha256: c.sha256 ?? null,
      }),
    );
    if (!stored)
      this.o.log.warn({ caseId: c.caseId, source: c.source }, 'recording chunk for an unknown case');
  }

  private onGap(g: RecordingGap): void {
    const caseId = g.caseId ?? this.openCase?.id ?? null;
    this.o.repo.tx(() =>
      this.o.repo.insertEvent({
        caseId: caseId && this.o.repo.getCase(caseId) ? caseId : null,
        atMs: g.fromMs,
        type: 'recording_gap',
        sourceName: g.source,
        data: { fromMs: g.fromMs, toMs: g.toMs, ...(g.reason ? { reason: g.reason } : {}) },
      }),
    );
  }

  // ---------------------------------------------------------------- automatic start / end
  private isEndoscope(source: string): boolean {
    const cfg = this.o.config.capture.sources.find((s) => s.name === source);
    return (cfg?.role ?? 'endoscope') === 'endoscope';
  }

  /** Re-checks the in-body / absent conditions and opens or closes the case when one is due. */
  private evaluate(): void {
    if (!this.running) return;
    const now = this.now();
    const cfg = this.o.config.cases;
    const signalOk = [...this.sources.values()].some((s) => this.isEndoscope(s.source) && s.state === 'live');
    const oob = [...this.outOfBody].some((s) => this.isEndoscope(s));
    if (signalOk && !oob) {
      this.inBodySinceMs ??= now;
      this.absentSinceMs = null;
    } else {
      this.inBodySinceMs = null;
      this.absentSinceMs ??= now;
      this.autoStartArmed = true;
    }
    let nextMs: number | undefined;
    if (!this.openCase && cfg.auto_start && this.autoStartArmed && this.inBodySinceMs !== null) {
      const dueMs = this.inBodySinceMs + cfg.auto_start_after_s * 1000;
      if (now >= dueMs) {
        this.openNewCase({ kind: 'system' }, { startedAtMs: this.inBodySinceMs });
        this.publish();
      } else nextMs = dueMs;
    }
    if (this.openCase && cfg.auto_end && this.absentSinceMs !== null) {
      const fromMs = Math.max(this.absentSinceMs, this.openCase.startedAtMs);
      const dueMs = fromMs + cfg.auto_end_after_min * 60_000;
      if (now >= dueMs) {
        this.closeOpenCase({ kind: 'system' }, fromMs, signalOk ? 'auto_out_of_body' : 'auto_signal_lost');
        this.publish();
      } else nextMs = Math.min(nextMs ?? dueMs, dueMs);
    }
    clearTimeout(this.autoTimer);
    if (nextMs !== undefined) {
      this.autoTimer = setTimeout(() => this.evaluate(), Math.max(0, nextMs - now) + 5);
    }
  }

  // ---------------------------------------------------------------- case control (API)
  startCase(
    actor: Actor,
    opts: { procedure?: string; surgeonId?: string | null; label?: string | null },
    ip?: string,
  ): CaseRecord {
    if (this.openCase) {
      throw new CaseError(
        'CASE_ALREADY_OPEN',
        `case ${this.openCase.id} is open; stop it before starting another`,
      );
    }
    const c = this.openNewCase(actor, { ...opts, startedAtMs: this.now() }, ip);
    this.publish();
    return c;
  }

  stopCase(actor: Actor, caseId: string, ip?: string): CaseRecord {
    this.requireCase(caseId);
    if (this.openCase?.id !== caseId)
      throw new CaseError('CASE_NOT_OPEN', `case ${caseId} is already closed`);
    this.closeOpenCase(actor, this.now(), 'manual', ip);
    this.publish();
    return this.o.repo.getCase(caseId)!;
  }

  updateCase(
    actor: Actor,
    caseId: string,
    patch: { procedure?: string; surgeonId?: string | null; label?: string | null },
    ip?: string,
  ): CaseRecord {
    this.requireCase(caseId);
    const now = this.now();
    this.o.repo.tx(() => {
      this.o.repo.updateCase(caseId, patch, now);
      this.audit(actor, 'case.update', caseId, ip, { fields: Object.keys(patch) });
    });
    const updated = this.o.repo.getCase(caseId)!;
    if (this.openCase?.id === caseId) this.openCase = updated;
    if (patch.procedure !== undefined) this.o.history.invalidate();
    this.publish();
    return updated;
  }

  private openNewCase(
    actor: Actor,
    opts: { procedure?: string; surgeonId?: string | null; label?: string | null; startedAtMs: number },
    ip?: string,
  ): CaseRecord {
    const now = this.now();
    const c = this.o.repo.tx(() => {
      const created = this.o.repo.insertCase({
        procedure: opts.procedure ?? this.model_?.procedure ?? this.o.config.cases.default_procedure,
        surgeonId: opts.surgeonId ?? null,
        label: opts.label ?? null,
        startedAtMs: opts.startedAtMs,
        startedBy: actor.kind === 'system' ? 'auto' : actorId(actor),
        modelVersion: this.model_?.version ?? null,
        nowMs: now,
      });
      this.o.repo.insertEvent({
        caseId: created.id,
        atMs: opts.startedAtMs,
        type: 'case_started',
        data: { auto: actor.kind === 'system' },
      });
      this.audit(actor, 'case.start', created.id, ip, { auto: actor.kind === 'system' });
      return created;
    });
    this.openCase = c;
    this.segments = [];
    this.corrections = [];
    if (this.detected) this.startSegment(c, this.detected);
    this.o.log.info({ caseId: c.id, auto: actor.kind === 'system' }, 'case started');
    this.startRecording(c.id);
    return c;
  }

  private closeOpenCase(actor: Actor, endedAtMs: number, reason: string, ip?: string): void {
    const c = this.openCase;
    if (!c) return;
    const now = this.now();
    const running = this.runningSegment();
    // Never before the case or its running segment started: the timeline stays ordered.
    const endMs = Math.max(endedAtMs, c.startedAtMs, running?.startedAtMs ?? 0);
    this.o.repo.tx(() => {
      if (running) this.o.repo.closeSegment(running.id, endMs, now);
      this.o.repo.closeCase(c.id, endMs, reason, now);
      this.o.repo.insertEvent({ caseId: c.id, atMs: endMs, type: 'case_stopped', data: { reason } });
      this.audit(actor, 'case.stop', c.id, ip, { reason });
    });
    this.openCase = null;
    this.segments = [];
    this.corrections = [];
    this.autoStartArmed = false;
    this.o.history.invalidate();
    this.o.log.info({ caseId: c.id, reason }, 'case stopped');
    this.callRecorder('stopRecording');
  }

  // ---------------------------------------------------------------- segments
  private runningSegment(): SegmentRecord | undefined {
    return this.segments.find((s) => s.endedAtMs === null);
  }

  /** Continues the running segment when the phase is the same (e.g. after a restart). */
  private startSegment(c: CaseRecord, d: Detected): void {
    const running = this.runningSegment();
    if (running && running.phase === d.phase) return;
    const now = this.now();
    const atMs = Math.max(d.startedAtMs, c.startedAtMs, running?.startedAtMs ?? 0);
    this.o.repo.tx(() => {
      if (running) this.o.repo.closeSegment(running.id, atMs, now);
      const seg = this.o.repo.insertSegment({
        caseId: c.id,
        phase: d.phase,
        startedAtMs: atMs,
        confidence: d.confidence,
        modelVersion: d.modelVersion,
        nowMs: now,
      });
      if (running) running.endedAtMs = atMs;
      this.segments.push(seg);
    });
  }

  private closeSegment(s: SegmentRecord, atMs: number): void {
    const endMs = Math.max(atMs, s.startedAtMs);
    this.o.repo.tx(() => this.o.repo.closeSegment(s.id, endMs, this.now()));
    s.endedAtMs = endMs;
  }

  private recordEvent(
    type: string,
    atMs: number,
    source: string | null,
    data?: Record<string, unknown> | null,
  ) {
    this.o.repo.tx(() =>
      this.o.repo.insertEvent({ caseId: this.openCase?.id ?? null, atMs, type, sourceName: source, data }),
    );
  }

  // ---------------------------------------------------------------- bookmarks
  addBookmark(actor: Actor, caseId: string, b: { atMs?: number; note: string }, ip?: string): BookmarkRecord {
    const c = this.requireCase(caseId);
    const now = this.now();
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
    const now = this.now();
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
      this.o.repo.deleteBookmark(id, this.now());
      this.audit(actor, 'bookmark.delete', caseId, ip, { bookmarkId: id });
    });
  }

  // ---------------------------------------------------------------- corrections
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
    const now = this.now();
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
        this.now(),
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
      this.o.repo.deleteCorrection(id, this.now());
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
      const known = this.model_?.phases.map((p) => p.id);
      if (known && known.length > 0 && !known.includes(v.phase)) {
        throw new CaseError('PHASE_UNKNOWN', `unknown phase "${v.phase}"; known phases: ${known.join(', ')}`);
      }
      return { phase: v.phase };
    }
    if (v.phase !== undefined)
      throw new CaseError('CORRECTION_INVALID', 'a boundary move takes "atMs", not "phase"');
    if (v.atMs === undefined) throw new CaseError('CORRECTION_INVALID', 'a boundary move needs "atMs"');
    const eff = effectiveSegments(this.o.repo.segments(c.id), others);
    const range = boundaryRange(eff, seg.id, c.startedAtMs, c.endedAtMs ?? this.now());
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
    if (this.openCase?.id === caseId) {
      this.corrections = this.o.repo.corrections(caseId);
      this.publish();
    }
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

  /** Starts recording the case; paused at once when the camera is out of the body and pausing is configured. */
  private startRecording(caseId: string): void {
    this.callRecorder('startRecording', caseId);
    const oob = [...this.outOfBody].some((s) => this.isEndoscope(s));
    if (oob && this.o.config.inference.pause_recording_out_of_body)
      this.callRecorder('pauseRecording', 'out_of_body');
  }

  private callRecorder(method: keyof RecordingControl, arg?: string): void {
    const rec = this.o.recorder;
    const fn = rec?.[method];
    if (!rec || !fn) return;
    try {
      const r = (fn as (a?: string) => unknown).call(rec, arg);
      if (r instanceof Promise) {
        r.catch((err: unknown) => this.o.log.error({ err, call: method }, 'recorder call failed'));
      }
    } catch (err) {
      this.o.log.error({ err, call: method }, 'recorder call failed');
    }
  }

  // ---------------------------------------------------------------- live state
  /** Recomputes the room's live state; the store sends only what changed. */
  publish(): void {
    this.o.live.update(this.liveState());
  }

  private liveState(): Omit<LiveState, 'room'> {
    const phases = this.model_?.phases ?? [];
    const info = (id: string) => phases.find((p) => p.id === id);
    const eff = effectiveSegments(this.segments, this.corrections);
    const c = this.openCase;
    const oob = [...this.outOfBody].some((s) => this.isEndoscope(s));
    const sources: LiveSource[] = [...this.sources.values()]
      .sort((a, b) => a.source.localeCompare(b.source))
      .map((s) => ({
        name: s.source,
        role: this.isEndoscope(s.source) ? 'endoscope' : 'room',
        state: s.state,
        outOfBody: this.outOfBody.has(s.source),
        recording: s.recording,
        fpsIn: Math.round(s.fpsIn * 10) / 10,
      }));
    const d = this.detected;
    return {
      case: c
        ? {
            id: c.id,
            procedure: c.procedure,
            startedAtMs: c.startedAtMs,
            ...(c.label ? { label: c.label } : {}),
            ...(c.surgeonId ? { surgeonId: c.surgeonId } : {}),
          }
        : null,
      phase: d
        ? {
            id: d.phase,
            displayName: info(d.phase)?.displayName ?? d.phase,
            color: info(d.phase)?.color ?? DEFAULT_COLOR,
            startedAtMs: d.startedAtMs,
            confidence: d.confidence,
          }
        : null,
      outOfBody: oob,
      segments: eff.map((s) => ({ phase: s.phase, startedAtMs: s.startedAtMs, endedAtMs: s.endedAtMs })),
      sources,
      prediction: c ? this.prediction(c, eff) : null,
      phases: phases.map((p) => ({ id: p.id, displayName: p.displayName, color: p.color })),
      modelVersion: this.model_?.version ?? null,
    };
  }

  private prediction(c: CaseRecord, eff: ReturnType<typeof effectiveSegments>): LiveState['prediction'] {
    const running = eff.find((s) => s.endedAtMs === null);
    const phases = this.model_?.phases ?? [];
    return predict({
      nowMs: this.now(),
      current: running ? { phase: running.phase, startedAtMs: running.startedAtMs } : null,
      visited: new Set(eff.map((s) => s.phase)),
      phaseOrder: phases.map((p) => p.id),
      typicalMs: new Map(phases.map((p) => [p.id, p.typicalDurationS * 1000])),
      history: this.o.history.durations(c.procedure),
      minHistory: this.o.config.cases.min_history_cases,
    });
  }
}
