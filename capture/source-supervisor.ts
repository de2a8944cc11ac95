import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '../daemon/log.js';
import { ROOT } from '../daemon/paths.js';
import { restartDelayMs } from './backoff.js';
import type { FrameHub } from './frame-hub.js';
import { FrameClock, type FrameStream, openFrameStream } from './frame-wire.js';
import { isPaced, type PipelinePlan } from './pipeline/plan.js';
import type { ChildMessage, ChunkInfo, ErrorCode, ParentMessage, RecordTarget } from './protocol.js';
import type { SourceState, SourceStatus } from './types.js';

const TSX_LOADER = join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const WORKER_ENTRY = join(ROOT, 'capture', 'worker', 'source-worker.ts');
const WATCHDOG_TICK_MS = 100;

export interface SupervisorTiming {
  stallTimeoutMs: number;
  lostTimeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  jitterRatio: number;
  stopTimeoutMs: number;
  /** A process not recording that holds more than this (resident MB) is replaced. */
  recycleRssMb: number;
}

export interface SupervisorOptions {
  plan: PipelinePlan;
  kind: SourceStatus['kind'];
  role: SourceStatus['role'];
  timing: SupervisorTiming;
  hub: FrameHub;
  log: Logger;
  recordingsRoot: string;
  /** What the daemon wants recorded now (null: nothing). */
  recordTarget: () => RecordTarget | null;
  /** No case is being recorded, not even paused (a paused case may resume on analysis). */
  betweenCases: () => boolean;
  onStatus: (s: SourceStatus) => void;
  onChunkOpened: (source: string, caseId: string, startedAtMs: number) => void;
  onChunkClosed: (source: string, chunk: ChunkInfo) => void;
  /** A chunk whose process died before closing it (its robust-muxed head is still playable). */
  onChunkOrphaned: (source: string, chunk: { caseId: string; path: string; startedAtMs: number }) => void;
}

/** What usually keeps a source of each kind from its first frame. */
const STARTING_HINT: Record<PipelinePlan['input']['kind'], string> = {
  rtsp: ' (camera not answering: check that it is on, the address and the network)',
  v4l2: ' (no signal on the capture card: check the cable and the video source)',
  file: '',
  testsrc: '',
};

/** Codes after which a restart cannot help until the config changes. */
const PERMANENT: ReadonlySet<ErrorCode> = new Set(['PIPELINE_BUILD_FAILED']);

/**
 * Runs one source in its own process and keeps it alive: a watchdog on frame arrival
 * (starting → live → stalled → lost), restarts with exponential back-off and jitter, counters,
 * and the status the rest of the daemon sees. A crash, hang or GStreamer assertion in the
 * source process costs this source a restart and nothing else.
 */
export class SourceSupervisor {
  private child: ChildProcess | undefined;
  private state: SourceState = 'stopped';
  private sinceMs = Date.now();
  private lastFrameAtMs = 0;
  private spawnedAtMs = 0;
  private restarts = 0;
  private attempt = 0;
  private lastError: { code: string; message: string } | undefined;
  private childDropped = 0;
  private droppedBase = 0;
  private fpsIn = 0;
  private fpsOut = 0;
  private lastStats: { framesIn: number; atMs: number } | undefined;
  private framesWindow: number[] = [];
  private recording = false;
  private watchdog: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private running = false;
  private stopRequests = new Map<number, () => void>();
  private nextRequestId = 1;
  private childExited: Promise<void> = Promise.resolve();
  private permanentFailure = false;
  /** Counts spawns: a frame stream opened for an earlier one is not used. */
  private generation = 0;
  /** The current process sent an error before it exited (its message is the better reason). */
  private childReportedError = false;

  constructor(private readonly o: SupervisorOptions) {}

  get name(): string {
    return this.o.plan.source;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    this.running = true;
    this.watchdog = setInterval(() => this.checkWatchdog(), WATCHDOG_TICK_MS);
    this.statusTimer = setInterval(() => {
      this.recycleIfBloated();
      this.emitStatus();
    }, this.o.plan.statusIntervalMs);
    this.spawn();
  }

  status(): SourceStatus {
    return {
      source: this.name,
      state: this.state,
      sinceMs: this.sinceMs,
      fpsIn: round1(this.fpsIn),
      fpsOut: round1(this.fpsOut),
      framesDropped: this.droppedBase + this.childDropped + this.o.hub.droppedFor(this.name),
      restarts: this.restarts,
      ...(this.lastError ? { lastError: this.lastError.message, lastErrorCode: this.lastError.code } : {}),
      recording: this.recording,
      kind: this.o.kind,
      role: this.o.role,
    };
  }

  private emitStatus(): void {
    const now = Date.now();
    this.framesWindow = this.framesWindow.filter((t) => now - t <= 2000);
    this.fpsOut = this.framesWindow.length / 2;
    this.o.onStatus(this.status());
  }

  private setState(state: SourceState): void {
    if (state === this.state) return;
    this.state = state;
    this.sinceMs = Date.now();
    this.o.log.info({ state, restarts: this.restarts, error: this.lastError?.code }, 'source state');
    this.emitStatus();
  }

  /** Checks that can be made before spending a process: a device or file that is not there. */
  private preflight(): { code: ErrorCode; message: string } | undefined {
    const inp = this.o.plan.input;
    if (inp.kind === 'v4l2' && !existsSync(inp.device)) {
      return {
        code: 'SOURCE_NOT_FOUND',
        message: `v4l2 device ${inp.device} does not exist (is the capture card connected? check capture.sources device)`,
      };
    }
    if (inp.kind === 'file' && !existsSync(inp.path)) {
      return {
        code: 'SOURCE_NOT_FOUND',
        message: `video file ${inp.path} does not exist (check capture.sources path)`,
      };
    }
    return undefined;
  }

  private spawn(): void {
    if (!this.running) return;
    const problem = this.preflight();
    if (problem) {
      this.lastError = problem;
      this.setState('lost');
      this.scheduleRestart();
      return;
    }
    this.spawnedAtMs = Date.now();
    this.childReportedError = false;
    this.lastFrameAtMs = 0;
    this.lastStats = undefined;
    this.setState('starting');
    const generation = ++this.generation;
    const { width, height, fps } = this.o.plan.analysis;
    const clock = new FrameClock(!isPaced(this.o.plan.input) && fps !== null ? fps : null);
    let seq = 0;
    let child: ChildProcess | undefined;
    openFrameStream(width, height, (data) => {
      if (!child || child !== this.child) return;
      this.onFrame();
      const n = seq++;
      this.o.hub.publish({ source: this.name, seq: n, tsMs: clock.stamp(n), width, height, data });
    }).then(
      (stream) => {
        if (!this.running || generation !== this.generation) {
          stream.childEnd.destroy();
          stream.reader.destroy();
          return;
        }
        child = this.forkChild(stream);
      },
      (err: Error) => {
        this.o.log.error({ err }, 'cannot open the frame stream');
        this.lastError = { code: 'SOURCE_ERROR', message: `cannot open the frame stream: ${err.message}` };
        this.setState('lost');
        this.scheduleRestart();
      },
    );
  }

  /** Forks the source process with the frame stream's other end as its fd 4. */
  private forkChild(stream: FrameStream): ChildProcess {
    const child = fork(WORKER_ENTRY, [], {
      execArgv: ['--import', TSX_LOADER],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', stream.childEnd],
      env: {
        ...process.env,
        UV_THREADPOOL_SIZE: '16',
        ORSIGHT_RECORDINGS_ROOT: this.o.recordingsRoot,
        ORSIGHT_CHILD_STOP_TIMEOUT_MS: String(Math.max(200, this.o.timing.stopTimeoutMs - 500)),
      },
      serialization: 'json',
    });
    // The child has its own copy now; ours would keep the stream open after the child exits.
    stream.childEnd.destroy();
    this.child = child;
    this.logStream(child.stdout, 'debug');
    this.logStream(child.stderr, 'warn');
    stream.reader.on('error', (err) => this.o.log.warn({ err }, 'frame stream error'));
    stream.reader.on('end', () => stream.reader.destroy());
    // Chunks a process opened and has not closed; on its exit they are orphans.
    const openChunks = new Map<string, { caseId: string; path: string; startedAtMs: number }>();
    child.on('message', (m: ChildMessage) => {
      // Chunk messages count even from a process being replaced: it closes its last chunk.
      if (m.type === 'chunk_opened') {
        openChunks.set(m.path, { caseId: m.caseId, path: m.path, startedAtMs: m.startedAtMs });
        this.o.onChunkOpened(this.name, m.caseId, m.startedAtMs);
      } else if (m.type === 'chunk_closed') {
        openChunks.delete(m.chunk.path);
        this.o.onChunkClosed(this.name, m.chunk);
      } else if (child === this.child) {
        this.onChildMessage(m);
      }
    });
    child.on('error', (err) => this.o.log.error({ err }, 'source process error'));
    this.childExited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        resolve();
        for (const c of openChunks.values()) this.o.onChunkOrphaned(this.name, c);
        openChunks.clear();
        if (child === this.child) this.onChildExit(code, signal);
      });
    });
    const msg: ParentMessage = { type: 'init', plan: this.o.plan, record: this.o.recordTarget() };
    child.send(msg);
    return child;
  }

  private logStream(stream: Readable | null, level: 'debug' | 'warn'): void {
    let buf = '';
    stream?.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines)
        if (line.trim()) this.o.log[level]({ gst: line.slice(0, 500) }, 'source process output');
    });
  }

  private onFrame(): void {
    const now = Date.now();
    this.lastFrameAtMs = now;
    this.framesWindow.push(now);
    if (this.framesWindow.length > 1000) this.framesWindow.splice(0, this.framesWindow.length - 1000);
    if (this.state === 'starting' || this.state === 'stalled') {
      if (this.state === 'starting') this.attempt = 0;
      this.setState('live');
    }
  }

  private onChildMessage(m: ChildMessage): void {
    switch (m.type) {
      case 'stats': {
        if (this.lastStats && m.atMs > this.lastStats.atMs) {
          this.fpsIn = ((m.framesIn - this.lastStats.framesIn) * 1000) / (m.atMs - this.lastStats.atMs);
        }
        this.lastStats = { framesIn: m.framesIn, atMs: m.atMs };
        this.childDropped = m.framesDropped;
        break;
      }
      case 'error':
        this.lastError = { code: m.code, message: m.message };
        if (m.fatal) this.childReportedError = true;
        if (m.code === 'RECORDING_FAILED') this.o.log.error({ error: m.message }, 'recording failed');
        else this.o.log.warn({ code: m.code, error: m.message }, 'source error');
        if (m.fatal && PERMANENT.has(m.code)) this.permanentFailure = true;
        this.emitStatus();
        break;
      case 'recording':
        this.recording = m.active;
        this.emitStatus();
        break;
      case 'chunk_opened':
      case 'chunk_closed':
        break; // handled for every process in spawn()
      case 'record_stopped':
        this.stopRequests.get(m.requestId)?.();
        this.stopRequests.delete(m.requestId);
        break;
      case 'eos':
        this.o.log.info('source reached the end of its video');
        break;
      case 'started':
      case 'playing':
        break;
    }
  }

  /** Forgets the current process (its frames and counters no longer count); returns it. */
  private detachChild(): ChildProcess | undefined {
    const child = this.child;
    this.child = undefined;
    this.droppedBase += this.childDropped;
    this.childDropped = 0;
    return child;
  }

  private onChildExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.detachChild();
    this.fpsIn = 0;
    this.recording = false;
    for (const done of this.stopRequests.values()) done();
    this.stopRequests.clear();
    if (!this.running) return;
    if (code === 0 && this.o.plan.input.kind === 'file' && !this.o.plan.input.loop) {
      this.setState('stopped');
      return;
    }
    if (!this.childReportedError) {
      this.lastError = {
        code: 'SOURCE_ERROR',
        message: `source process exited (${signal ?? `code ${code}`})`,
      };
    }
    if (this.permanentFailure) {
      this.setState('failed');
      return;
    }
    this.setState('lost');
    this.scheduleRestart();
  }

  private checkWatchdog(): void {
    const now = Date.now();
    const { stallTimeoutMs, lostTimeoutMs } = this.o.timing;
    if (this.state === 'live' && now - this.lastFrameAtMs > stallTimeoutMs) {
      this.setState('stalled');
    } else if (this.state === 'stalled' && now - this.lastFrameAtMs > lostTimeoutMs) {
      this.lastError = { code: 'SOURCE_STALLED', message: `no frame for ${now - this.lastFrameAtMs} ms` };
      this.loseChild();
    } else if (this.state === 'starting' && now - this.spawnedAtMs > lostTimeoutMs) {
      this.lastError ??= {
        code: 'SOURCE_STALLED',
        message: `no frame within ${lostTimeoutMs} ms of starting${STARTING_HINT[this.o.plan.input.kind]}`,
      };
      this.loseChild();
    }
  }

  /**
   * gstreamer-superficial never frees a pipeline, so every recording session (each case, each
   * pause and resume) leaves its pipeline behind in the source process. Between cases (not
   * during a pause: an out-of-body pause ends on what analysis sees), a process that has grown
   * past the limit is replaced by a fresh one: analysis pauses for a second or two, no
   * recording is cut.
   */
  private recycleIfBloated(): void {
    const child = this.child;
    if (!child?.pid || this.state !== 'live' || this.recording || !this.o.betweenCases()) return;
    const rssMb = residentMb(child.pid);
    if (rssMb === undefined || rssMb <= this.o.timing.recycleRssMb) return;
    this.o.log.info(
      { rssMb: Math.round(rssMb), limitMb: this.o.timing.recycleRssMb },
      'replacing the source process to give its memory back (no case is being recorded)',
    );
    this.detachChild();
    void this.terminate(child).then(() => {
      if (this.running && !this.child && !this.restartTimer) this.spawn();
    });
  }

  /** Declares the source lost and replaces its process. */
  private loseChild(): void {
    const child = this.detachChild();
    this.recording = false;
    this.setState('lost');
    if (child) void this.terminate(child);
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (!this.running || this.restartTimer) return;
    const delay = restartDelayMs(this.attempt++, {
      minMs: this.o.timing.backoffMinMs,
      maxMs: this.o.timing.backoffMaxMs,
      jitterRatio: this.o.timing.jitterRatio,
    });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.running) return;
      this.restarts++;
      this.setState('restarting');
      this.spawn();
    }, delay);
  }

  /** Asks a process to close its recording and exit; kills it if it takes too long. */
  private async terminate(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      child.send({ type: 'shutdown' } satisfies ParentMessage);
    } catch {
      child.kill('SIGKILL');
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), this.o.timing.stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** Starts (or moves) recording in the running process; a new process reads recordTarget(). */
  recordStart(target: RecordTarget): void {
    this.sendToChild({ type: 'record_start', target });
  }

  /** Stops recording; resolves when the last chunk is closed (or the process is gone). */
  recordStop(): Promise<void> {
    const child = this.child;
    if (!child?.connected) return Promise.resolve();
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.stopRequests.delete(requestId);
        resolve();
      }, this.o.timing.stopTimeoutMs);
      this.stopRequests.set(requestId, () => {
        clearTimeout(timer);
        resolve();
      });
      this.sendToChild({ type: 'record_stop', requestId });
    });
  }

  private sendToChild(m: ParentMessage): void {
    const child = this.child;
    if (!child?.connected) return;
    try {
      child.send(m);
    } catch (err) {
      this.o.log.warn({ err }, 'source process unreachable');
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.watchdog);
    clearInterval(this.statusTimer);
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (child) await this.terminate(child);
    await this.childExited;
    this.child = undefined;
    this.recording = false;
    this.setState('stopped');
  }

  /** Marks a source that cannot be planned (bad config) as failed, with the reason. */
  static failedStatus(
    name: string,
    kind: SourceStatus['kind'],
    role: SourceStatus['role'],
    code: string,
    message: string,
  ): SourceStatus {
    return {
      source: name,
      state: 'failed',
      sinceMs: Date.now(),
      fpsIn: 0,
      fpsOut: 0,
      framesDropped: 0,
      restarts: 0,
      lastError: message,
      lastErrorCode: code,
      recording: false,
      kind,
      role,
    };
  }
}

/** Resident memory of a process in MB (Linux /proc), undefined if it cannot be read. */
function residentMb(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
