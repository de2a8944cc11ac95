import { join } from 'node:path';
import type { Config, SourceConfig } from '../config/index.js';
import type { EventBus } from '../daemon/bus.js';
import type { Logger } from '../daemon/log.js';
import type { Part, PartHealth } from '../daemon/part.js';
import type { Store } from '../daemon/store/index.js';
import './events.js';
import { describeChunk } from './chunk-file.js';
import { type FrameConsumer, FrameHub, type SubscribeOptions } from './frame-hub.js';
import { chooseDecoder, chooseEncoder, discoverHardware, type Hardware } from './hardware.js';
import { mp4DurationMs } from './mp4-duration.js';
import { DEMO_SIM_SOURCE, planSource, SourceConfigError } from './plan-from-config.js';
import type { ChunkInfo, RecordTarget } from './protocol.js';
import { insertChunk } from './recordings-table.js';
import { SourceSupervisor } from './source-supervisor.js';
import type { SourceStatus } from './types.js';

export interface CapturePartOptions {
  config: Pick<Config, 'capture' | 'storage' | 'daemon'>;
  log: Logger;
  bus: EventBus;
  /** The open store (after the store part has started). */
  store: () => Store;
  /** Registry discovery; tests may pass a fixed one. */
  hardware?: () => Promise<Hardware>;
}

export class CaptureError extends Error {
  constructor(
    readonly code: 'CASE_ID_INVALID' | 'NOT_RUNNING',
    message: string,
  ) {
    super(message);
  }
}

const CASE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

interface RecordingWish {
  caseId: string;
  paused: boolean;
  pauseReason?: string;
}

interface GapTracker {
  /** When recording of this source stopped against the daemon's wish. */
  fromMs: number;
  /** When the daemon noticed: a chunk that began before this and closes later ends the recording. */
  openedAtMs: number;
  caseId: string;
  reason: string;
}

/**
 * The capture part: one supervised process per source, analysis frames to consumers
 * (newest wins), recording per case with pause/resume, chunk rows in `recordings`, and
 * `capture.*` events on the bus.
 */
export class CapturePart implements Part {
  readonly name = 'capture';
  private readonly supervisors = new Map<string, SourceSupervisor>();
  private readonly failed = new Map<string, SourceStatus>();
  private readonly statuses = new Map<string, SourceStatus>();
  private readonly lastChunkEnd = new Map<string, number>();
  /** Case of each source's latest chunk: a recording that stops for another case is no gap. */
  private readonly lastChunkCase = new Map<string, string>();
  private readonly gaps = new Map<string, GapTracker>();
  private readonly hub: FrameHub;
  private wish: RecordingWish | null = null;
  private warnings: string[] = [];
  private started = false;
  private hw: Hardware | undefined;

  constructor(private readonly o: CapturePartOptions) {
    this.hub = new FrameHub((err, source) => o.log.error({ err, source }, 'frame consumer failed'));
  }

  private get recordingsRoot(): string {
    return join(this.o.config.storage.data_dir, 'recordings');
  }

  /** The configured sources, or the demo's simulated endoscope. */
  private sources(): SourceConfig[] {
    const c = this.o.config;
    if (c.capture.sources.length === 0 && c.daemon.demo) return [DEMO_SIM_SOURCE];
    return c.capture.sources.filter((s) => s.enabled);
  }

  async start(): Promise<void> {
    const { config, log } = this.o;
    const c = config.capture;
    this.hw = await (this.o.hardware ?? discoverHardware)();
    const enc = chooseEncoder(c.encoder, this.hw);
    const dec = chooseDecoder(c.decoder, this.hw);
    this.warnings = [enc.warning, dec.warning].filter((w): w is string => !!w);
    for (const w of this.warnings) log.warn(w);
    log.info(
      {
        encoder: enc.element,
        decoder: dec.element,
        hwEncoders: this.hw.encoders,
        hwDecoders: this.hw.decoders,
      },
      'codecs chosen',
    );
    for (const src of this.sources()) {
      let plan: ReturnType<typeof planSource>;
      try {
        plan = planSource(src, c, { encoder: enc.element, decoder: dec.element });
      } catch (err) {
        const code = err instanceof SourceConfigError ? err.code : 'SOURCE_CONFIG_INVALID';
        const st = SourceSupervisor.failedStatus(src.name, src.kind, src.role, code, (err as Error).message);
        this.failed.set(src.name, st);
        this.onStatus(st);
        continue;
      }
      const sup = new SourceSupervisor({
        plan,
        kind: src.kind,
        role: src.role,
        timing: {
          stallTimeoutMs: c.stall_timeout_ms,
          lostTimeoutMs: Math.max(c.lost_timeout_ms, c.stall_timeout_ms + 1),
          backoffMinMs: c.restart_backoff_min_ms,
          backoffMaxMs: Math.max(c.restart_backoff_min_ms, c.restart_backoff_max_ms),
          jitterRatio: c.restart_jitter_ratio,
          stopTimeoutMs: c.child_stop_timeout_ms,
          recycleRssMb: c.source_recycle_rss_mb,
        },
        hub: this.hub,
        log: log.child({ source: src.name }),
        recordingsRoot: this.recordingsRoot,
        recordTarget: () => this.targetFor(src.name),
        betweenCases: () => this.wish === null,
        onStatus: (s) => this.onStatus(s),
        onChunkOpened: (source, caseId, startedAtMs) => this.onChunkOpened(source, caseId, startedAtMs),
        onChunkClosed: (source, chunk) => this.onChunkClosed(source, chunk),
        onChunkOrphaned: (source, chunk) => void this.onChunkOrphaned(source, chunk),
      });
      this.supervisors.set(src.name, sup);
    }
    this.started = true;
    for (const sup of this.supervisors.values()) sup.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.supervisors.values()].map((s) => s.stop()));
    this.supervisors.clear();
  }

  health(): PartHealth {
    const list = this.sourceStatuses();
    const live = list.filter((s) => s.state === 'live').length;
    return {
      ok: this.started,
      state: !this.started
        ? 'stopped'
        : list.length === 0
          ? 'idle'
          : live === list.length
            ? 'live'
            : 'degraded',
      detail: {
        sources: Object.fromEntries(
          list.map((s) => [
            s.source,
            { state: s.state, fpsIn: s.fpsIn, restarts: s.restarts, error: s.lastError },
          ]),
        ),
        recording: this.wish ? (this.wish.paused ? 'paused' : 'on') : 'off',
        ...(this.warnings.length ? { warnings: this.warnings } : {}),
      },
    };
  }

  /** Hardware found at start (registry discovery). */
  get hardware(): Hardware | undefined {
    return this.hw;
  }

  // ------------------------------------------------------------------ frames
  /**
   * Registers an analysis-frame consumer; returns its unsubscribe function. A consumer that
   * returns a promise gets the next frame when it settles; frames in between are dropped
   * (newest wins) and counted in that source's framesDropped.
   */
  onFrame(fn: FrameConsumer, options?: SubscribeOptions): () => void {
    return this.hub.subscribe(fn, options);
  }

  /** Frames waiting for busy consumers (at most one per consumer). */
  get pendingFrames(): number {
    return this.hub.pendingCount;
  }

  sourceStatuses(): SourceStatus[] {
    return [...this.statuses.values()].sort((a, b) => a.source.localeCompare(b.source));
  }

  /** The process id of a source (tests, diagnostics). */
  sourcePid(source: string): number | undefined {
    return this.supervisors.get(source)?.pid;
  }

  private onStatus(s: SourceStatus): void {
    const prev = this.statuses.get(s.source);
    this.statuses.set(s.source, s);
    if (prev && (prev.state !== s.state || prev.recording !== s.recording)) this.trackGap(prev, s);
    this.o.bus.emit('capture.source_status', s);
  }

  // ------------------------------------------------------------------ recording
  private targetFor(source: string): RecordTarget | null {
    const w = this.wish;
    if (!w || w.paused || !this.o.config.capture.record) return null;
    return {
      caseId: w.caseId,
      dir: join(this.recordingsRoot, w.caseId, source),
    };
  }

  /** Records every source into <data_dir>/recordings/<caseId>/<source>/ until stopRecording(). */
  startRecording(caseId: string): void {
    if (!CASE_ID.test(caseId)) {
      throw new CaptureError('CASE_ID_INVALID', `case id ${JSON.stringify(caseId)} cannot name a folder`);
    }
    this.wish = { caseId, paused: false };
    this.o.log.info({ caseId }, 'recording started');
    this.applyWish();
  }

  /** Stops recording; resolves when every source has closed its last chunk. */
  async stopRecording(): Promise<void> {
    if (!this.wish) return;
    this.o.log.info({ caseId: this.wish.caseId }, 'recording stopped');
    this.wish = null;
    this.gaps.clear();
    await Promise.all([...this.supervisors.values()].map((s) => s.recordStop()));
  }

  /** Pauses recording (privacy, out of body); analysis goes on. Closes the open chunks. */
  async pauseRecording(reason = 'paused'): Promise<void> {
    if (!this.wish || this.wish.paused) return;
    this.wish = { ...this.wish, paused: true, pauseReason: reason };
    this.gaps.clear();
    this.o.log.info({ caseId: this.wish.caseId, reason }, 'recording paused');
    await Promise.all([...this.supervisors.values()].map((s) => s.recordStop()));
  }

  resumeRecording(): void {
    if (!this.wish?.paused) return;
    this.wish = { caseId: this.wish.caseId, paused: false };
    this.o.log.info({ caseId: this.wish.caseId }, 'recording resumed');
    this.applyWish();
  }

  get recordingState(): { caseId: string | null; paused: boolean; reason?: string } {
    return this.wish
      ? {
          caseId: this.wish.caseId,
          paused: this.wish.paused,
          ...(this.wish.pauseReason ? { reason: this.wish.pauseReason } : {}),
        }
      : { caseId: null, paused: false };
  }

  private applyWish(): void {
    for (const [name, sup] of this.supervisors) {
      const t = this.targetFor(name);
      if (t) sup.recordStart(t);
    }
  }

  /** A source that stops being live while it should record opens a gap until its next chunk. */
  private trackGap(prev: SourceStatus, now: SourceStatus): void {
    const w = this.wish;
    if (!w || w.paused || !this.o.config.capture.record) return;
    const wasUp = prev.state === 'live' || prev.state === 'stalled';
    const isDown = now.state === 'lost' || now.state === 'restarting' || now.state === 'failed';
    // Recording stopped on its own (disk, encoder, camera session) while the source stayed up.
    if (
      wasUp &&
      !isDown &&
      prev.recording &&
      !now.recording &&
      this.lastChunkCase.get(now.source) === w.caseId &&
      !this.gaps.has(now.source)
    ) {
      this.gaps.set(now.source, {
        fromMs: Date.now(),
        openedAtMs: Date.now(),
        caseId: w.caseId,
        reason: now.lastErrorCode ?? 'recording_stopped',
      });
      return;
    }
    if (wasUp && isDown && !this.gaps.has(now.source)) {
      // The picture stopped when the source stalled (or, without a stall, when it was lost).
      const downAtMs = prev.state === 'stalled' ? prev.sinceMs : now.sinceMs;
      this.gaps.set(now.source, {
        fromMs: Math.min(this.lastChunkEnd.get(now.source) ?? downAtMs, downAtMs),
        openedAtMs: Date.now(),
        caseId: w.caseId,
        reason: now.lastErrorCode ?? 'source_lost',
      });
    }
  }

  private onChunkOpened(source: string, caseId: string, startedAtMs: number): void {
    this.lastChunkCase.set(source, caseId);
    const gap = this.gaps.get(source);
    if (!gap || gap.caseId !== caseId) return;
    this.gaps.delete(source);
    this.o.bus.emit('capture.recording_gap', {
      source,
      caseId,
      fromMs: Math.round(gap.fromMs),
      toMs: Math.round(startedAtMs),
      reason: gap.reason,
    });
  }

  /** Stores what a killed source process left of its open chunk, if any of it is playable. */
  private async onChunkOrphaned(
    source: string,
    c: { caseId: string; path: string; startedAtMs: number },
  ): Promise<void> {
    const file = join(this.recordingsRoot, c.path);
    try {
      const exactMs = await mp4DurationMs(file);
      const durationMs = exactMs === null ? 0 : Math.round(exactMs);
      if (durationMs <= 0) {
        this.o.log.warn({ source, path: c.path }, 'chunk of a killed source process holds nothing playable');
        return;
      }
      const { sizeBytes, sha256 } = await describeChunk(file);
      this.o.log.warn(
        { source, path: c.path, durationMs },
        'kept the playable part of a chunk cut short by a crash',
      );
      this.onChunkClosed(source, {
        caseId: c.caseId,
        path: c.path,
        startedAtMs: c.startedAtMs,
        durationMs,
        sizeBytes,
        sha256,
      });
    } catch (err) {
      this.o.log.error({ err, source, path: c.path }, 'cannot read a chunk cut short by a crash');
    }
  }

  private onChunkClosed(source: string, c: ChunkInfo): void {
    const chunk = { ...c, source };
    const endMs = c.startedAtMs + c.durationMs;
    this.lastChunkEnd.set(source, endMs);
    // The chunk that was open when recording stopped closes late (or is rescued after a crash):
    // its end is the last recorded moment.
    const gap = this.gaps.get(source);
    if (gap && gap.caseId === c.caseId && c.startedAtMs < gap.openedAtMs) gap.fromMs = endMs;
    try {
      if (!insertChunk(this.o.store(), chunk)) {
        this.o.log.warn({ caseId: c.caseId, source }, 'chunk of a case that is not in the database');
      }
    } catch (err) {
      this.o.log.error({ err, source, path: c.path }, 'cannot store the chunk row');
    }
    this.o.bus.emit('capture.chunk_closed', chunk);
  }
}
