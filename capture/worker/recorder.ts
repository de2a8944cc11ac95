import { mkdirSync } from 'node:fs';
import { relative } from 'node:path';
import { describeChunk } from '../chunk-file.js';
import { copyRecordLaunch, encodeRecordLaunch, type RawCaps } from '../pipeline/build.js';
import type { PipelinePlan } from '../pipeline/plan.js';
import type { ChildMessage, RecordTarget } from '../protocol.js';
import { type GstMessage, type GstPipeline, parsePipeline } from './gst.js';

interface OpenChunk {
  file: string;
  runningTimeNs: bigint;
  startedAtMs: number;
}

/**
 * One recording session: a pipeline of its own (fed by the source pipeline's intervideosink,
 * or its own RTSP session for stream copy), so stopping or pausing it closes its last chunk
 * with a proper EOS while analysis goes on untouched.
 */
export class RecordingSession {
  private pipeline: GstPipeline | undefined;
  /** Open chunks by file: with async finalize, the next opens before the previous closes. */
  private readonly open = new Map<string, OpenChunk>();
  private readonly pending = new Set<Promise<void>>();
  private lastReport: Promise<void> = Promise.resolve();
  private ended: Promise<void> | undefined;
  private resolveEnded: (() => void) | undefined;
  private stopped = false;
  private stopRequested = false;
  private eosSeen = false;
  private playingAtMs: number | undefined;

  constructor(
    private readonly plan: PipelinePlan,
    private readonly target: RecordTarget,
    private readonly recordingsRoot: string,
    private readonly send: (m: ChildMessage) => void,
    /** Called when the session ends on its own (error, or the stream ended), not by stop(). */
    private readonly onFailed: () => void,
  ) {}

  get caseId(): string {
    return this.target.caseId;
  }

  start(channel: string, caps: RawCaps | null): void {
    mkdirSync(this.target.dir, { recursive: true });
    const prefix = String(Date.now());
    const launch =
      this.plan.recording?.mode === 'copy'
        ? copyRecordLaunch(this.plan, this.target.dir, prefix)
        : encodeRecordLaunch(this.plan, channel, caps as RawCaps, this.target.dir, prefix);
    this.pipeline = parsePipeline(launch);
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
    this.pipeline.pollBus((msg) => this.onBus(msg));
    this.pipeline.play();
    this.send({ type: 'recording', active: true, caseId: this.target.caseId });
  }

  /** Running time mapped to the wall clock: running time 0 is when the pipeline began PLAYING. */
  private wallAt(runningTimeNs: bigint): number {
    return Math.round((this.playingAtMs ?? Date.now()) + Number(runningTimeNs) / 1e6);
  }

  private onBus(msg: GstMessage): void {
    if (
      msg.type === 'state-changed' &&
      msg['new-state'] === 'GST_STATE_PLAYING' &&
      this.playingAtMs === undefined &&
      msg._src_element_name?.startsWith('pipeline')
    ) {
      this.playingAtMs = Date.now();
    }
    if (msg.type === 'element' && msg.name === 'splitmuxsink-fragment-opened') {
      const chunk: OpenChunk = {
        file: String(msg.location),
        runningTimeNs: BigInt(String(msg['running-time'])),
        startedAtMs: this.wallAt(BigInt(String(msg['running-time']))),
      };
      this.open.set(chunk.file, chunk);
      this.send({
        type: 'chunk_opened',
        caseId: this.target.caseId,
        path: relative(this.recordingsRoot, chunk.file),
        startedAtMs: chunk.startedAtMs,
      });
    } else if (msg.type === 'element' && msg.name === 'splitmuxsink-fragment-closed') {
      const opened = this.open.get(String(msg.location));
      if (!opened) return;
      this.open.delete(opened.file);
      const durationMs = Math.round(Number(BigInt(String(msg['running-time'])) - opened.runningTimeNs) / 1e6);
      // One hash at a time, so chunks are reported in the order they closed.
      const p = this.lastReport
        .then(() => describeChunk(opened.file))
        .then(({ sizeBytes, sha256 }) =>
          this.send({
            type: 'chunk_closed',
            chunk: {
              caseId: this.target.caseId,
              path: relative(this.recordingsRoot, opened.file),
              startedAtMs: opened.startedAtMs,
              durationMs,
              sizeBytes,
              sha256,
            },
          }),
        )
        .catch((err: Error) =>
          this.send({
            type: 'error',
            code: 'RECORDING_FAILED',
            message: `chunk ${opened.file}: ${err.message}`,
            fatal: false,
          }),
        )
        .finally(() => this.pending.delete(p));
      this.lastReport = p;
      this.pending.add(p);
      // With async finalize the last chunk may close after the pipeline's EOS.
      if (this.eosSeen && this.open.size === 0) this.finish();
    } else if (msg.type === 'eos') {
      this.eosSeen = true;
      if (this.open.size === 0) this.finish();
      // EOS nobody asked for: the camera ended the recording session.
      if (!this.stopRequested) this.onFailed();
    } else if (msg.type === 'error') {
      this.send({
        type: 'error',
        code: 'RECORDING_FAILED',
        message: `recording: ${msg._src_element_name ?? '?'}: ${msg.message ?? 'error'}`,
        fatal: false,
      });
      this.finish();
      if (!this.stopRequested) this.onFailed();
    }
  }

  private finish(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pipeline?.stop();
    this.send({ type: 'recording', active: false, caseId: null });
    this.resolveEnded?.();
  }

  /** Ends the session: EOS closes the open chunk; waits for it (bounded) and its hash. */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.pipeline) return;
    this.stopRequested = true;
    if (!this.stopped) this.pipeline.sendEOS();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ended, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    this.finish();
    await Promise.all([...this.pending]);
  }

  /** Whether the session still runs (false after an error or EOS). */
  get active(): boolean {
    return !!this.pipeline && !this.stopped;
  }
}
