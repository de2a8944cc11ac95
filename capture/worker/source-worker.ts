/**
 * Entry of one source process (forked by the daemon, one per source). It runs the source's
 * GStreamer pipeline, whose fdsink writes the analysis frames to fd 4 (the daemon's frame
 * stream: no JavaScript per frame here), reports state and counters over IPC, and runs the
 * recording pipeline while the daemon asks for one. A crash here costs this source only.
 */
import { EL, type RawCaps, sourceLaunch } from '../pipeline/build.js';
import type { PipelinePlan } from '../pipeline/plan.js';
import type { ChildMessage, ParentMessage, RecordTarget } from '../protocol.js';
import { classifyError } from './classify.js';
import {
  type GstElement,
  type GstMessage,
  type GstPipeline,
  parsePipeline,
  SEEK_FLUSH,
  SEEK_SEGMENT,
} from './gst.js';
import { RecordingSession } from './recorder.js';

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
  private sink: GstElement | undefined;
  private rate: GstElement | undefined;
  private queue: GstElement | undefined;
  private rawOut: GstElement | undefined;
  private readonly channel = `orsight-${process.pid}`;
  private live = false;
  private firstFrameTimer: NodeJS.Timeout | undefined;
  private wanted: RecordTarget | null = null;
  private session: RecordingSession | undefined;
  private shuttingDown = false;
  private statsTimer: NodeJS.Timeout | undefined;
  private loopArmed = false;
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
    this.sink = this.pipeline.findChild(EL.frames);
    this.rate = this.pipeline.findChild(EL.rate);
    this.queue = this.pipeline.findChild(EL.queue);
    this.rawOut = this.pipeline.findChild(EL.rawOut);
    this.pipeline.pollBus((m) => this.onBus(m));
    this.pipeline.play();
    send({ type: 'started', atMs: performance.timeOrigin + performance.now() });
    // Recording starts once frames flow (a camera that never delivers is not recorded).
    this.firstFrameTimer = setInterval(() => {
      if (this.framesWritten() === 0) return;
      clearInterval(this.firstFrameTimer);
      this.live = true;
      this.maybeStartRecording();
    }, 20);
    this.statsTimer = setInterval(() => this.sendStats(), this.plan.statusIntervalMs);
  }

  /** Frames fdsink has written to the daemon's frame stream. */
  private framesWritten(): number {
    const stats = String(this.sink?.stats ?? '');
    return Number(/rendered=\(guint64\)(\d+)/.exec(stats)?.[1] ?? 0);
  }

  /**
   * Counters from the pipeline's own elements: videorate counts the decoded frames in and the
   * analysis frames out; what the leaky queue dropped (the daemon was behind) is what went
   * out of videorate and neither reached the frame stream nor waits in the queue (less the one
   * frame that may be in the scaler).
   */
  private sendStats(): void {
    const written = this.framesWritten();
    const framesIn = this.rate ? Number(this.rate.in ?? 0) : written;
    const rated = this.rate ? Number(this.rate.out ?? 0) : written;
    const queued = this.queue ? Number(this.queue['current-level-buffers'] ?? 0) : 0;
    send({
      type: 'stats',
      framesIn,
      framesOut: written,
      framesDropped: Math.max(0, rated - written - queued - 1),
      atMs: Date.now(),
    });
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
    clearInterval(this.firstFrameTimer);
    clearTimeout(this.retryTimer);
    await this.session?.stop(STOP_TIMEOUT_MS);
    // fdsink has written every frame it took; what is in the socket stays readable after exit.
    this.pipeline?.stop();
    this.exit(code);
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
