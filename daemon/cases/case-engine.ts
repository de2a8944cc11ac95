import { randomUUID } from 'node:crypto';
import type { RecordingChunk, SourceStatus } from '../../capture/index.js';
import type { Config } from '../../config/index.js';
import type { ModelInfo, PhaseEvent } from '../../inference/index.js';
import type { EventBus } from '../bus.js';
import type { Logger } from '../log.js';
import { type Actor, type AuditLog, actorId } from './audit-log.js';
import type { RecordingGap } from './bus-events.js';
import { CaseError } from './case-error.js';
import type { CaseRepo } from './case-repo.js';
import type { CaseHistory } from './history.js';
import type { LiveStateStore } from './live-state.js';
import { type DetectedPhase, liveView } from './live-view.js';
import type { CaseRecord, CorrectionRecord, SegmentRecord } from './records.js';

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
  /** The model already loaded when the engine starts (inference starts first and announced it then). */
  currentModel?: () => ModelInfo | null | undefined;
  now?: () => number;
}

const OWNER = 'cases';

/**
 * The one owner of case state. It turns capture and inference events into a case with a
 * timeline, opens and closes cases (by staff or automatically), keeps the room's live state
 * and its predictions, and rebuilds all of it from the database after a restart.
 */
export class CaseEngine {
  private openCase: CaseRecord | null = null;
  private segments: SegmentRecord[] = [];
  private corrections: CorrectionRecord[] = [];
  private detected: DetectedPhase | null = null;
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
    this.model_ = this.o.currentModel?.() ?? null;
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
      case 'phase_retracted':
        this.detected = {
          phase: e.resumedPhase,
          startedAtMs: e.resumedAtMs,
          confidence: e.confidence,
          modelVersion: e.modelVersion,
        };
        if (this.openCase) this.retractSegment(this.openCase, e);
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

  /**
   * Continues the running segment when the phase is the same (e.g. after a restart).
   * Otherwise the wall display hears of the change first and the timeline is committed right
   * after: a slow fsync on a busy disk must not hold up the live channel. Should the write
   * fail, memory is reloaded from the database and the display follows it.
   */
  private startSegment(c: CaseRecord, d: DetectedPhase): void {
    const running = this.runningSegment();
    if (running && running.phase === d.phase) return;
    const now = this.now();
    const atMs = Math.max(d.startedAtMs, c.startedAtMs, running?.startedAtMs ?? 0);
    const seg: SegmentRecord = {
      id: randomUUID(),
      phase: d.phase,
      startedAtMs: atMs,
      endedAtMs: null,
      confidence: d.confidence,
      modelVersion: d.modelVersion,
    };
    if (running) running.endedAtMs = atMs;
    this.segments.push(seg);
    this.publish();
    try {
      this.o.repo.tx(() => {
        if (running) this.o.repo.closeSegment(running.id, atMs, now);
        this.o.repo.insertSegment({ ...seg, caseId: c.id, nowMs: now });
      });
    } catch (err) {
      this.o.log.error({ err, caseId: c.id }, 'could not store a phase segment; reloading the timeline');
      this.segments = this.o.repo.segments(c.id);
      this.publish();
      throw err;
    }
  }

  /**
   * The filter withdrew the running phase: its segment is kept but flagged (synced, left out
   * of the timeline), and the segment before it runs on, as if the change never happened.
   * When the segment before it is another phase (the case began during the withdrawn one),
   * a segment of the resumed phase takes over the withdrawn one's span. The change is also
   * an event of the case. Memory first, then the database, as in startSegment.
   */
  private retractSegment(c: CaseRecord, e: Extract<PhaseEvent, { type: 'phase_retracted' }>): void {
    const running = this.runningSegment();
    if (!running || running.phase !== e.phase) {
      // Not the segment the filter reported (a restart came in between): a plain change.
      this.startSegment(c, this.detected!);
      return;
    }
    const now = this.now();
    const i = this.segments.indexOf(running);
    const before = this.segments[i - 1];
    const resumes = before?.phase === e.resumedPhase && before.endedAtMs === running.startedAtMs;
    const successor: SegmentRecord | undefined = resumes
      ? undefined
      : {
          id: randomUUID(),
          phase: e.resumedPhase,
          startedAtMs: running.startedAtMs,
          endedAtMs: null,
          confidence: e.confidence,
          modelVersion: e.modelVersion,
        };
    this.segments.splice(i, 1);
    if (resumes) {
      before.endedAtMs = null;
      this.detected = { ...this.detected!, startedAtMs: before.startedAtMs };
    } else this.segments.push(successor!);
    this.publish();
    try {
      this.o.repo.tx(() => {
        this.o.repo.retractSegment(running.id, resumes ? before.id : undefined, now);
        if (successor) this.o.repo.insertSegment({ ...successor, caseId: c.id, nowMs: now });
        this.o.repo.insertEvent({
          caseId: c.id,
          atMs: now,
          type: 'phase_retracted',
          sourceName: e.source,
          data: { phase: e.phase, resumedPhase: e.resumedPhase, segmentId: running.id },
        });
      });
    } catch (err) {
      this.o.log.error({ err, caseId: c.id }, 'could not withdraw a phase segment; reloading the timeline');
      this.segments = this.o.repo.segments(c.id);
      this.publish();
      throw err;
    }
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

  /** Corrections of a case changed: the open case's live timeline follows. */
  correctionsChanged(caseId: string): void {
    if (this.openCase?.id !== caseId) return;
    this.corrections = this.o.repo.corrections(caseId);
    this.publish();
  }

  // ---------------------------------------------------------------- helpers
  private requireCase(caseId: string): CaseRecord {
    const c = this.o.repo.getCase(caseId);
    if (!c) throw new CaseError('CASE_NOT_FOUND', `no case ${caseId}`);
    return c;
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
    this.o.live.update(
      liveView({
        nowMs: this.now(),
        openCase: this.openCase,
        segments: this.segments,
        corrections: this.corrections,
        detected: this.detected,
        outOfBody: this.outOfBody,
        sources: this.sources,
        model: this.model_,
        isEndoscope: (s) => this.isEndoscope(s),
        history: (procedure) => this.o.history.durations(procedure),
        minHistory: this.o.config.cases.min_history_cases,
      }),
    );
  }
}
