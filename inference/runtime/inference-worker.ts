/**
 * The inference worker thread: picks the TF.js backend, loads and warms up the model, then
 * classifies batches of frames. A model swap loads and warms the new model first and only
 * then replaces the old one, so a bad package leaves the previous model running.
 */
import { parentPort } from 'node:worker_threads';
import { ModelPackageError } from '../errors.js';
import { loadModelPackage } from '../package-loader.js';
import { selectBackend } from './backend.js';
import { ModelRunner } from './model-runner.js';
import type { FromWorker, ToWorker, WireError, WorkerModelInfo } from './protocol.js';
import { tf } from './tf.js';

const port = parentPort!;
let runner: ModelRunner | undefined;

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

function wire(err: unknown): WireError {
  if (err instanceof ModelPackageError) return { code: err.code, message: err.message };
  return { code: 'WORKER_ERROR', message: (err as Error)?.message ?? String(err) };
}

function info(r: ModelRunner): WorkerModelInfo {
  const m = r.pkg.manifest;
  return {
    dir: r.pkg.dir,
    name: m.name,
    version: m.version,
    procedure: m.procedure,
    classes: m.classes,
    phases: m.phases,
    transitions: m.transitions,
    startPhases: m.startPhases,
    outOfBodyClass: m.outOfBodyClass,
    boundaryLagS: m.boundaryLagS,
    inputWidth: m.input.width,
    inputHeight: m.input.height,
    fps: m.fps,
  };
}

async function prepare(
  modelDir: string,
  maxBatch: number,
  warmupRuns: number,
): Promise<{ r: ModelRunner; warmupMs: number }> {
  const r = new ModelRunner(loadModelPackage(modelDir));
  try {
    await r.load();
    const t0 = performance.now();
    await r.warmUp(maxBatch, warmupRuns);
    return { r, warmupMs: performance.now() - t0 };
  } catch (err) {
    r.dispose();
    throw err;
  }
}

// Messages are handled one at a time, in order.
let chain = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  chain = chain
    .then(() => handle(msg))
    .catch((err) => {
      // A bug here must not be swallowed: crash the worker so the runtime restarts it.
      setImmediate(() => {
        throw err;
      });
    });
});

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'init': {
      try {
        const choice = await selectBackend(msg.backend);
        const { r, warmupMs } = await prepare(msg.modelDir, msg.maxBatch, msg.warmupRuns);
        runner = r;
        send({ type: 'ready', ...choice, model: info(r), warmupMs, numTensors: tf.memory().numTensors });
      } catch (err) {
        send({ type: 'init_failed', error: wire(err) });
      }
      return;
    }
    case 'load': {
      try {
        const { r, warmupMs } = await prepare(msg.modelDir, msg.maxBatch, msg.warmupRuns);
        const old = runner;
        runner = r;
        old?.dispose();
        send({ type: 'loaded', id: msg.id, model: info(r), warmupMs, numTensors: tf.memory().numTensors });
      } catch (err) {
        send({ type: 'load_failed', id: msg.id, error: wire(err) });
      }
      return;
    }
    case 'infer': {
      if (!runner) {
        send({ type: 'infer_failed', id: msg.id, error: { code: 'NOT_READY', message: 'no model loaded' } });
        return;
      }
      try {
        const t0 = performance.now();
        const probabilities = await runner.predict(msg.rgb, msg.n, msg.width, msg.height);
        const inferMs = performance.now() - t0;
        send({ type: 'result', id: msg.id, probabilities, inferMs, numTensors: tf.memory().numTensors }, [
          probabilities.buffer as ArrayBuffer,
        ]);
      } catch (err) {
        send({ type: 'infer_failed', id: msg.id, error: wire(err) });
      }
      return;
    }
    case 'memory': {
      const m = tf.memory();
      send({ type: 'memory', id: msg.id, numTensors: m.numTensors, numBytes: m.numBytes });
      return;
    }
    case 'crash':
      setTimeout(() => {
        throw new Error('injected crash (fault injection message)');
      }, 0);
      return;
    case 'hang':
      // Spins until the runtime terminates the thread.
      for (;;);
  }
}
