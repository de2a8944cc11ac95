import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AnalysisFrame } from '../../capture/index.js';
import type { Logger } from '../../daemon/log.js';
import { ROOT } from '../../daemon/paths.js';
import { InferenceError, ModelPackageError, type ModelPackageErrorCode } from '../errors.js';
import type { BackendAttempt, BackendName, BackendPreference } from './backend.js';
import { LatencyWindow } from './latency-window.js';
import type { FromWorker, ToWorker, WorkerModelInfo } from './protocol.js';

const WORKER_FILE = join(ROOT, 'inference', 'runtime', 'worker-entry.mjs');

export interface RuntimeOptions {
  modelDir: string;
  backend: BackendPreference;
  maxBatch: number;
  queuePerSource: number;
  warmupRuns: number;
  startTimeoutMs: number;
  /** A batch the worker has not answered within this long means it hangs: it is restarted. */
  batchTimeoutMs: number;
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
  latencyWindow: number;
}

/** One classified frame, handed to the runtime's consumer in per-source capture order. */
export interface ClassifiedFrame {
  frame: Omit<AnalysisFrame, 'data'>;
  probabilities: Float32Array;
  /** From submit() to result: queue wait plus inference. */
  latencyMs: number;
}

export interface RuntimeMetrics {
  state: 'stopped' | 'starting' | 'ready' | 'restarting' | 'failed';
  backend?: BackendName;
  backendAttempts: BackendAttempt[];
  model?: { name: string; version: string; dir: string };
  queueDepth: number;
  framesIn: number;
  framesOut: number;
  framesDropped: number;
  /** Frames whose byte length does not match width×height×3. */
  framesRejected: number;
  framesLostInCrash: number;
  /** Batches the worker did not answer within batchTimeoutMs (each restarts the worker). */
  workerHangs: number;
  batches: number;
  meanBatchSize: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  inferPerFrameP50Ms?: number;
  inferPerFrameP99Ms?: number;
  workerRestarts: number;
  numTensors?: number;
  warmupMs?: number;
  lastError?: string;
}

interface Queued {
  frame: AnalysisFrame;
  submittedAt: number;
}

interface Pending {
  resolve: (msg: FromWorker) => void;
}

/**
 * Owns the inference worker: starts it (backend chain, model, warm-up), batches frames from
 * several sources, keeps per-source queues bounded (drop oldest), measures latency, and
 * restarts a crashed worker with back-off so the case goes on.
 */
export class InferenceRuntime {
  private worker: Worker | undefined;
  private readonly queues = new Map<string, Queued[]>();
  private rr: string[] = [];
  private inFlight: { id: number; items: Queued[] } | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  private consecutiveCrashes = 0;
  private modelDir: string;
  private readonly latency: LatencyWindow;
  private readonly inferLatency: LatencyWindow;
  private readonly roomWaiters: Array<() => void> = [];
  private readonly readyWaiters: Array<() => void> = [];
  private m: RuntimeMetrics = {
    state: 'stopped',
    backendAttempts: [],
    queueDepth: 0,
    framesIn: 0,
    framesOut: 0,
    framesDropped: 0,
    framesRejected: 0,
    framesLostInCrash: 0,
    workerHangs: 0,
    batches: 0,
    meanBatchSize: 0,
    workerRestarts: 0,
  };
  private modelInfo: WorkerModelInfo | undefined;

  constructor(
    private readonly o: RuntimeOptions,
    private readonly log: Logger,
    private readonly onResult: (r: ClassifiedFrame) => void,
    private readonly onModel: (m: WorkerModelInfo, backend: BackendName) => void = () => undefined,
  ) {
    this.modelDir = o.modelDir;
    this.latency = new LatencyWindow(o.latencyWindow);
    this.inferLatency = new LatencyWindow(o.latencyWindow);
  }

  /** Starts the worker and resolves once it is warmed up and ready. */
  async start(): Promise<WorkerModelInfo> {
    this.stopping = false;
    this.m.state = 'starting';
    await this.spawn();
    return this.modelInfo!;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.batchTimer);
    const w = this.worker;
    this.worker = undefined;
    this.m.state = 'stopped';
    for (const wake of this.roomWaiters.splice(0)) wake();
    if (w) await w.terminate();
  }

  get model(): WorkerModelInfo | undefined {
    return this.modelInfo;
  }

  metrics(): RuntimeMetrics {
    return {
      ...this.m,
      queueDepth: this.queueDepth(),
      latencyP50Ms: round2(this.latency.percentile(50)),
      latencyP99Ms: round2(this.latency.percentile(99)),
      inferPerFrameP50Ms: round2(this.inferLatency.percentile(50)),
      inferPerFrameP99Ms: round2(this.inferLatency.percentile(99)),
    };
  }

  /**
   * Queues a frame for classification. Live sources never wait: past queuePerSource frames
   * the oldest is dropped and counted.
   */
  submit(frame: AnalysisFrame): void {
    this.m.framesIn++;
    if (frame.data.length !== frame.width * frame.height * 3) {
      this.m.framesRejected++;
      this.m.lastError = `${InferenceError.name}: frame of ${frame.source} has ${frame.data.length} bytes, expected ${frame.width}x${frame.height}x3`;
      return;
    }
    let q = this.queues.get(frame.source);
    if (!q) {
      q = [];
      this.queues.set(frame.source, q);
      this.rr.push(frame.source);
    }
    q.push({ frame, submittedAt: performance.now() });
    while (q.length > this.o.queuePerSource) {
      q.shift();
      this.m.framesDropped++;
    }
    this.pump();
  }

  /** Resolves when every queue has room: the offline (replay) path waits here instead of dropping. */
  async waitForRoom(source: string): Promise<void> {
    while ((this.queues.get(source)?.length ?? 0) >= this.o.queuePerSource && !this.stopping) {
      await new Promise<void>((r) => this.roomWaiters.push(r));
    }
  }

  /** Resolves when nothing is queued or in flight (and the worker is up). */
  async drain(): Promise<void> {
    while ((this.queueDepth() > 0 || this.inFlight) && !this.stopping) {
      await new Promise<void>((r) => this.roomWaiters.push(r));
    }
  }

  /**
   * Swaps the model. The worker loads, checks and warms up the new package before switching;
   * on failure the error says why and the previous model keeps running.
   */
  async loadModel(
    dir: string,
  ): Promise<{ ok: true; model: WorkerModelInfo } | { ok: false; error: ModelPackageError }> {
    if (!this.worker || this.m.state !== 'ready') {
      return {
        ok: false,
        error: new ModelPackageError('MODEL_LOAD_FAILED', 'the inference worker is not running', dir),
      };
    }
    const reply = await this.request({
      type: 'load',
      id: 0,
      modelDir: dir,
      maxBatch: this.o.maxBatch,
      warmupRuns: this.o.warmupRuns,
    });
    if (reply.type === 'loaded') {
      this.modelDir = dir;
      this.modelInfo = reply.model;
      this.m.model = { name: reply.model.name, version: reply.model.version, dir };
      this.m.numTensors = reply.numTensors;
      this.log.info({ model: this.m.model, warmupMs: Math.round(reply.warmupMs) }, 'model swapped');
      this.onModel(reply.model, this.m.backend!);
      return { ok: true, model: reply.model };
    }
    const err =
      reply.type === 'load_failed' ? reply.error : { code: 'MODEL_LOAD_FAILED', message: 'unexpected reply' };
    this.log.warn(
      { code: err.code, dir, error: err.message },
      'model package refused; previous model stays active',
    );
    return { ok: false, error: new ModelPackageError(err.code as ModelPackageErrorCode, err.message, dir) };
  }

  /** tf.memory() in the worker (for the leak test and health). */
  async memory(): Promise<{ numTensors: number; numBytes: number }> {
    const r = await this.request({ type: 'memory', id: 0 });
    if (r.type !== 'memory') throw new Error('unexpected reply');
    return { numTensors: r.numTensors, numBytes: r.numBytes };
  }

  /** Fault injection: makes the worker crash (tests, doctor). */
  injectCrash(): void {
    this.worker?.postMessage({ type: 'crash' } satisfies ToWorker);
  }

  /** Fault injection: makes the worker hang, so the next batch is never answered (tests). */
  injectHang(): void {
    this.worker?.postMessage({ type: 'hang' } satisfies ToWorker);
  }

  /** Resolves when the worker is ready (after a restart, say). */
  async whenReady(): Promise<void> {
    if (this.m.state === 'ready') return;
    await new Promise<void>((r) => this.readyWaiters.push(r));
  }

  private queueDepth(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  private spawn(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(WORKER_FILE, { stdout: false, stderr: false });
      this.worker = worker;
      worker.postMessage({
        type: 'init',
        backend: this.o.backend,
        modelDir: this.modelDir,
        maxBatch: this.o.maxBatch,
        warmupRuns: this.o.warmupRuns,
      } satisfies ToWorker);
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        void worker.terminate();
        reject(
          new InferenceError(
            'WORKER_START_FAILED',
            `inference worker not ready within ${this.o.startTimeoutMs} ms`,
          ),
        );
      }, this.o.startTimeoutMs);
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready' && !settled) {
          settled = true;
          clearTimeout(timer);
          this.onReady(msg);
          resolve();
          return;
        }
        if (msg.type === 'init_failed' && !settled) {
          settled = true;
          clearTimeout(timer);
          void worker.terminate();
          this.m.state = 'failed';
          this.m.lastError = `${msg.error.code}: ${msg.error.message}`;
          reject(
            msg.error.code === 'WORKER_ERROR'
              ? new InferenceError('BACKEND_UNAVAILABLE', msg.error.message)
              : new ModelPackageError(
                  msg.error.code as ModelPackageErrorCode,
                  msg.error.message,
                  this.modelDir,
                ),
          );
          return;
        }
        this.onMessage(msg);
      });
      worker.on('error', (err) => {
        this.m.lastError = err.message;
        this.log.error({ err }, 'inference worker crashed');
      });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(
            new InferenceError(
              'WORKER_START_FAILED',
              `inference worker exited with code ${code} while starting`,
            ),
          );
          return;
        }
        if (!this.stopping) this.onCrash(code);
      });
    });
  }

  private onReady(msg: Extract<FromWorker, { type: 'ready' }>): void {
    this.m.state = 'ready';
    this.m.backend = msg.backend;
    this.m.backendAttempts = msg.attempts;
    this.m.model = { name: msg.model.name, version: msg.model.version, dir: msg.model.dir };
    this.m.numTensors = msg.numTensors;
    this.m.warmupMs = Math.round(msg.warmupMs);
    this.modelInfo = msg.model;
    this.consecutiveCrashes = 0;
    for (const a of msg.attempts) {
      this.log.info(
        { backend: a.backend, chosen: a.ok, reason: a.reason },
        a.ok ? 'TF.js backend chosen' : 'TF.js backend skipped',
      );
    }
    this.log.info(
      { model: this.m.model, warmupMs: this.m.warmupMs, backend: msg.backend },
      'inference worker ready',
    );
    this.onModel(msg.model, msg.backend);
    for (const wake of this.readyWaiters.splice(0)) wake();
    this.pump();
  }

  private onCrash(code: number): void {
    this.m.workerRestarts++;
    this.consecutiveCrashes++;
    clearTimeout(this.batchTimer);
    if (this.inFlight) {
      this.m.framesLostInCrash += this.inFlight.items.length;
      this.inFlight = undefined;
      // drain() may be waiting for just that batch.
      for (const wake of this.roomWaiters.splice(0)) wake();
    }
    for (const p of this.pending.values())
      p.resolve({
        type: 'load_failed',
        id: 0,
        error: { code: 'MODEL_LOAD_FAILED', message: 'worker crashed' },
      });
    this.pending.clear();
    const delay = Math.min(
      this.o.restartBackoffMaxMs,
      this.o.restartBackoffMs * 2 ** (this.consecutiveCrashes - 1),
    );
    this.m.state = 'restarting';
    this.log.warn(
      { code, restartInMs: delay, restarts: this.m.workerRestarts },
      'inference worker exited; restarting',
    );
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.spawn().catch((err: Error) => {
        this.m.lastError = err.message;
        this.log.error({ err }, 'inference worker restart failed');
        if (!this.stopping) this.onCrash(-1);
      });
    }, delay);
  }

  private onMessage(msg: FromWorker): void {
    if (msg.type === 'result' || msg.type === 'infer_failed') {
      const batch = this.inFlight;
      if (!batch || batch.id !== msg.id) return;
      this.inFlight = undefined;
      clearTimeout(this.batchTimer);
      if (msg.type === 'infer_failed') {
        this.m.lastError = `${msg.error.code}: ${msg.error.message}`;
        this.log.warn({ error: msg.error }, 'inference failed for a batch');
      } else {
        this.deliver(batch.items, msg.probabilities, msg.inferMs, msg.numTensors);
      }
      this.pump();
      for (const wake of this.roomWaiters.splice(0)) wake();
      return;
    }
    if ('id' in msg) {
      const p = this.pending.get(msg.id);
      if (p) {
        this.pending.delete(msg.id);
        p.resolve(msg);
      }
    }
  }

  private deliver(items: Queued[], probs: Float32Array, inferMs: number, numTensors: number): void {
    const classes = probs.length / items.length;
    const now = performance.now();
    this.m.batches++;
    this.m.meanBatchSize += (items.length - this.m.meanBatchSize) / this.m.batches;
    this.m.numTensors = numTensors;
    for (let i = 0; i < items.length; i++) {
      const { frame, submittedAt } = items[i]!;
      const latencyMs = now - submittedAt;
      this.latency.add(latencyMs);
      this.inferLatency.add(inferMs / items.length);
      this.m.framesOut++;
      const { data: _data, ...meta } = frame;
      this.onResult({ frame: meta, probabilities: probs.slice(i * classes, (i + 1) * classes), latencyMs });
    }
  }

  /** Sends the next batch when the worker is idle: round-robin over sources, same frame size. */
  private pump(): void {
    if (this.inFlight || !this.worker || this.m.state !== 'ready') return;
    const items: Queued[] = [];
    let size: { w: number; h: number } | undefined;
    let progress = true;
    while (items.length < this.o.maxBatch && progress) {
      progress = false;
      for (const source of this.rr) {
        if (items.length >= this.o.maxBatch) break;
        const q = this.queues.get(source)!;
        const head = q[0];
        if (!head) continue;
        if (size && (head.frame.width !== size.w || head.frame.height !== size.h)) continue;
        size ??= { w: head.frame.width, h: head.frame.height };
        items.push(q.shift()!);
        progress = true;
      }
    }
    if (items.length === 0) return;
    // Rotate so the next batch starts with another source.
    this.rr.push(this.rr.shift()!);
    const frameBytes = size!.w * size!.h * 3;
    const rgb = new Uint8Array(items.length * frameBytes);
    for (let i = 0; i < items.length; i++)
      rgb.set(items[i]!.frame.data.subarray(0, frameBytes), i * frameBytes);
    const id = this.nextId++;
    this.inFlight = { id, items };
    const msg: ToWorker = { type: 'infer', id, n: items.length, width: size!.w, height: size!.h, rgb };
    this.worker.postMessage(msg, [rgb.buffer]);
    this.armBatchDeadline(id, this.worker);
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  /**
   * A worker that stops answering (a hung backend, a runaway loop) would freeze step
   * detection for the rest of the case without ever crashing: past batchTimeoutMs the worker
   * is terminated, which restarts it like a crash. A model swap in progress (a pending
   * request ahead of the batch) may take longer; the deadline then waits for it.
   */
  private armBatchDeadline(id: number, worker: Worker): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = setTimeout(() => {
      if (this.inFlight?.id !== id || this.worker !== worker || this.stopping) return;
      if (this.pending.size > 0) {
        this.armBatchDeadline(id, worker);
        return;
      }
      this.m.workerHangs++;
      this.m.lastError = `inference worker did not answer a batch within ${this.o.batchTimeoutMs} ms`;
      this.log.error(
        { batchTimeoutMs: this.o.batchTimeoutMs, frames: this.inFlight.items.length },
        'inference worker hangs; terminating it to restart',
      );
      void worker.terminate();
    }, this.o.batchTimeoutMs);
  }

  private request(msg: Extract<ToWorker, { id: number }>): Promise<FromWorker> {
    const id = this.nextId++;
    return new Promise<FromWorker>((resolve) => {
      this.pending.set(id, { resolve });
      this.worker!.postMessage({ ...msg, id });
    });
  }
}

function round2(v: number | undefined): number | undefined {
  return v === undefined ? undefined : Math.round(v * 100) / 100;
}
