/**
 * Entry of one source process (forked by the daemon, one per source). It runs the source's
 * GStreamer pipeline, writes analysis frames to fd 4, reports state over IPC, and runs the
 * recording pipeline while the daemon asks for one. A crash here costs this source only.
 */
import { writevSync } from 'node:fs';
import { Socket } from 'node:net';
import { encodeHeader } from '../frame-wire.js';
import { EL, type RawCaps, sourceLaunch } from '../pipeline/build.js';
import { isPaced, type PipelinePlan } from '../pipeline/plan.js';
import type { ChildMessage, ParentMessage, RecordTarget } from '../protocol.js';
import { classifyError } from './classify.js';
import {
  type GstAppSink,
  type GstElement,
  type GstMessage,
  type GstPipeline,
  parsePipeline,
  SEEK_FLUSH,
  SEEK_SEGMENT,
} from './gst.js';
import { RecordingSession } from './recorder.js';

const FRAME_FD = 4;
const RECORDINGS_ROOT = process.env.ORSIGHT_RECORDINGS_ROOT ?? '/';
const STOP_TIMEOUT_MS = Number(process.env.ORSIGHT_CHILD_STOP_TIMEOUT_MS ?? 4000);

const inFlight = new Set<Promise<void>>();

/** Sends to the daemon; exit() waits for what is in flight so the last chunk is never lost. */
function send(m: ChildMessage): void {
  if (!process.send || !process.connected) return;
  const p = new Promise<void>((resolve) => {
    try {
      process.send?.(m, undefined, {}, () => resolve());
    } catch {
      resolve(); // The daemon is gone; 'disconnect' ends this process.
    }
  });
  inFlight.add(p);
  void p.then(() => inFlight.delete(p));
}

async function flushSends(timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all([...inFlight]), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
  clearTimeout(timer);
}

class SourceWorker {
  private pipeline: GstPipeline | undefined;
  private sink: GstAppSink | undefined;
  private rate: GstElement | undefined;
  private rawOut: GstElement | undefined;
  private out: Socket | undefined;
  private readonly channel = `orsight-${process.pid}`;
  private seq = 0;
  private framesOut = 0;
  private framesDropped = 0;
  private firstFrameWallMs = 0;
  private lastTsMs = 0;
  private live = false;
  private wanted: RecordTarget | null = null;
  private session: RecordingSession | undefined;
  private shuttingDown = false;
  private statsTimer: NodeJS.Timeout | undefined;
  private loopArmed = false;
  private eosSeen = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly plan: PipelinePlan) {}

  start(record: RecordTarget | null): void {
    this.wanted = record;
    try {
      this.pipeline = parsePipeline(sourceLaunch(this.plan, this.channel));
    } catch (err) {
      send({
        type: 'error',
        code: 'PIPELINE_BUILD_FAILED',
        message: `cannot build the pipeline: ${(err as Error).message}`,
        fatal: true,
      });
      this.exit(3);
      return;
    }
    this.sink = this.pipeline.findChild(EL.frames) as GstAppSink;
    this.rate = this.pipeline.findChild(EL.rate);
    this.rawOut = this.pipeline.findChild(EL.rawOut);
    this.out = new Socket({ fd: FRAME_FD, readable: false, writable: true });
    this.out.on('error', () => this.shutdown(0));
    this.pipeline.pollBus((m) => this.onBus(m));
    this.pipeline.play();
    send({ type: 'started', atMs: performance.timeOrigin + performance.now() });
    this.pull();
    this.statsTimer = setInterval(() => this.sendStats(), this.plan.statusIntervalMs);
  }

  private sendStats(): void {
    const framesIn = this.rate ? Number(this.rate.in ?? 0) : this.seq;
    send({
      type: 'stats',
      framesIn,
      framesOut: this.framesOut,
      framesDropped: this.framesDropped,
      atMs: Date.now(),
    });
  }

  /** Whole ms since the epoch (the database stores integers), strictly increasing per source. */
  private frameTimestamp(): number {
    const fps = this.plan.analysis.fps;
    // As fast as possible: media time (videorate makes it seq/fps) mapped from the first frame.
    // Live or realtime: arrival on a monotonic clock mapped to the wall clock (immune to NTP steps).
    const t =
      !isPaced(this.plan.input) && fps !== null
        ? this.firstFrameWallMs + (this.seq * 1000) / fps
        : performance.timeOrigin + performance.now();
    const ms = Math.round(t);
    return ms > this.lastTsMs ? ms : this.lastTsMs + 1;
  }

  private pull(): void {
    this.sink!.pull((buf) => this.onFrame(buf));
  }

  private onFrame(buf: Buffer | null): void {
    if (this.shuttingDown || this.eosSeen) return;
    if (!buf) {
      // Not yet PAUSED/PLAYING (appsink answers null at once) or flushing for a seek: ask again.
      setTimeout(() => this.pull(), 20);
      return;
    }
    if (this.seq === 0) this.firstFrameWallMs = performance.timeOrigin + performance.now();
    const tsMs = this.frameTimestamp();
    this.lastTsMs = tsMs;
    if (!this.live) {
      this.live = true;
      this.maybeStartRecording();
    }
    const { width, height } = this.plan.analysis;
    const out = this.out!;
    const header = encodeHeader(this.seq, tsMs, width, height, buf.length);
    if (!isPaced(this.plan.input)) {
      // As fast as possible: never drop; the daemon's pace is the pipeline's pace.
      this.writeFrame(header, buf);
      this.framesOut++;
      this.seq++;
      // Keep decoding while a few frames are in flight; wait for the daemon beyond that.
      if (out.writableLength <= 4 * buf.length) this.pull();
      else out.once('drain', () => this.pull());
      return;
    }
    // Live: bounded. If the daemon has not taken the last frames yet, this one is dropped (counted).
    if (out.writableLength > this.plan.framePipeMaxFrames * buf.length) {
      this.framesDropped++;
    } else {
      this.writeFrame(header, buf);
      this.framesOut++;
    }
    this.seq++;
    this.pull();
  }

  /**
   * Header and pixels in one writev. While nothing is queued in the socket, straight onto the
   * pipe with a non-blocking writev (no stream bookkeeping, no write callbacks per frame); what
   * the pipe does not take (it is full) is queued in the socket in order, and later frames go
   * through the socket until its queue has drained.
   */
  private writeFrame(header: Buffer, pixels: Buffer): void {
    const out = this.out!;
    if (out.writableLength === 0 && !out.destroyed) {
      let n = 0;
      try {
        n = writevSync(FRAME_FD, [header, pixels]);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
          // The daemon closed the pipe: as the socket's 'error' would.
          void this.shutdown(0);
          return;
        }
      }
      if (n === header.length + pixels.length) return;
      if (n >= header.length) {
        out.write(pixels.subarray(n - header.length));
        return;
      }
      out.cork();
      out.write(header.subarray(n));
      out.write(pixels);
      out.uncork();
      return;
    }
    out.cork(); // header and pixels in one writev
    out.write(header);
    out.write(pixels);
    out.uncork();
  }

  private onBus(msg: GstMessage): void {
    if (this.shuttingDown) return;
    switch (msg.type) {
      case 'error': {
        const { code, message } = classifyError(
          this.plan.input,
          msg._src_element_name ?? '?',
          msg.message ?? 'error',
        );
        send({ type: 'error', code, message, fatal: true });
        void this.shutdown(2);
        break;
      }
      case 'async-done':
        if (this.plan.input.kind === 'file' && this.plan.input.loop && !this.loopArmed) {
          // Segment seeks loop without EOS, so recording and analysis never see the end.
          this.loopArmed = true;
          this.pipeline!.seek(0, SEEK_FLUSH | SEEK_SEGMENT);
        }
        break;
      case 'segment-done':
        this.pipeline!.seek(0, SEEK_SEGMENT);
        break;
      case 'state-changed':
        if (msg['new-state'] === 'GST_STATE_PLAYING' && msg._src_element_name?.startsWith('pipeline'))
          send({ type: 'playing', atMs: performance.timeOrigin + performance.now() });
        break;
      case 'eos':
        void this.endOfStream();
        break;
    }
  }

  private async endOfStream(): Promise<void> {
    this.eosSeen = true;
    if (this.plan.input.kind === 'rtsp' || this.plan.input.kind === 'v4l2') {
      send({
        type: 'error',
        code: 'SOURCE_UNREACHABLE',
        message: `${this.plan.input.kind === 'rtsp' ? 'the RTSP server' : 'the device'} ended the stream`,
        fatal: true,
      });
    }
    await this.session?.stop(STOP_TIMEOUT_MS);
    this.sendStats();
    send({ type: 'eos' });
    await this.shutdown(0);
  }

  private rawCaps(): RawCaps | null {
    const sample = this.rawOut?.['last-sample'] as { caps?: Record<string, unknown> } | undefined | null;
    const c = sample?.caps;
    if (!c || typeof c.width !== 'number' || typeof c.height !== 'number') return null;
    return {
      format: String(c.format),
      width: c.width,
      height: c.height,
      framerate: String(c.framerate ?? '30/1'),
    };
  }

  private maybeStartRecording(): void {
    const target = this.wanted;
    if (!target || !this.live || this.shuttingDown || this.session?.active) return;
    let caps: RawCaps | null = null;
    if (this.plan.recording?.mode === 'encode') {
      caps = this.rawCaps();
      if (!caps) {
        setTimeout(() => this.maybeStartRecording(), 100);
        return;
      }
    }
    this.session = new RecordingSession(this.plan, target, RECORDINGS_ROOT, send, () =>
      this.retryRecording(),
    );
    try {
      this.session.start(this.channel, caps);
    } catch (err) {
      send({
        type: 'error',
        code: 'RECORDING_FAILED',
        message: `cannot start recording: ${(err as Error).message}`,
        fatal: false,
      });
      this.session = undefined;
      this.retryRecording();
    }
  }

  /** Recording failed while still wanted (disk, encoder, camera): try again after a pause. */
  private retryRecording(): void {
    if (!this.wanted || this.shuttingDown || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.maybeStartRecording();
    }, this.plan.recording?.retryMs ?? 2000);
  }

  async onMessage(m: ParentMessage): Promise<void> {
    switch (m.type) {
      case 'record_start':
        if (this.session?.active && this.session.caseId !== m.target.caseId)
          await this.session.stop(STOP_TIMEOUT_MS);
        this.wanted = m.target;
        this.maybeStartRecording();
        break;
      case 'record_stop':
        this.wanted = null;
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
        await this.session?.stop(STOP_TIMEOUT_MS);
        send({ type: 'record_stopped', requestId: m.requestId });
        break;
      case 'shutdown':
        await this.shutdown(0);
        break;
      case 'init':
        break;
    }
  }

  async shutdown(code: number): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    clearInterval(this.statsTimer);
    clearTimeout(this.retryTimer);
    await this.session?.stop(STOP_TIMEOUT_MS);
    this.pipeline?.stop();
    await this.drainFrames(1000);
    this.exit(code);
  }

  /** Lets the frames already written reach the daemon (the last ones of a file, say). */
  private async drainFrames(timeoutMs: number): Promise<void> {
    const out = this.out;
    if (!out || out.destroyed || out.writableLength === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise((r) => out.once('drain', r)),
      new Promise((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  private exit(code: number): void {
    // Let the IPC messages already queued reach the daemon before leaving.
    void flushSends(1000).then(() => process.exit(code));
  }
}

let worker: SourceWorker | undefined;
process.on('message', (m: ParentMessage) => {
  if (m.type === 'init') {
    if (worker) return;
    worker = new SourceWorker(m.plan);
    worker.start(m.record);
  } else {
    void worker?.onMessage(m);
  }
});
// systemd (KillMode=control-group) and a terminal's Ctrl-C signal the whole group: close the
// recording properly instead of dying mid-chunk.
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (worker) void worker.shutdown(0);
    else process.exit(0);
  });
}
// The daemon died or dropped us: never linger with a camera open.
process.on('disconnect', () => {
  if (worker) void worker.shutdown(0);
  else process.exit(0);
});
