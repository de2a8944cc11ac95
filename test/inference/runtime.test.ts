import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClassifiedFrame, InferenceRuntime } from '../../inference/runtime/inference-runtime.js';
import { waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { frame, makeTinyPackage, memoryLogger, runtimeOpts } from './helpers.js';

const dir = tempDir('orsight-runtime-');
let v1: string;
let v2: string;
let broken: string;

beforeAll(async () => {
  v1 = await makeTinyPackage(join(dir, 'v1'), '0.0.1', 1);
  v2 = await makeTinyPackage(join(dir, 'v2'), '0.0.2', 7);
  broken = await makeTinyPackage(join(dir, 'broken'), '0.0.3', 3);
  // Flip one byte of the weights: the sha256 no longer matches.
  const bin = join(broken, 'weights.bin');
  const data = readFileSync(bin);
  data[10] = (data[10]! + 1) % 256;
  writeFileSync(bin, data);
});

describe('InferenceRuntime (worker thread)', () => {
  const runtimes: InferenceRuntime[] = [];
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.stop()));
  });
  function make(opts: Parameters<typeof runtimeOpts>[1] = {}) {
    const results: ClassifiedFrame[] = [];
    const { log, lines } = memoryLogger();
    const rt = new InferenceRuntime(runtimeOpts(v1, opts), log, (r) => results.push(r));
    runtimes.push(rt);
    return { rt, results, lines };
  }

  it('walks the backend chain, logs why each backend was skipped, warms up, then classifies', async () => {
    const { rt, results, lines } = make();
    const model = await rt.start();
    expect(model.version).toBe('0.0.1');
    const m = rt.metrics();
    expect(m.state).toBe('ready');
    const chosen = m.backendAttempts.at(-1)!;
    expect(chosen.ok).toBe(true);
    expect(m.backend).toBe(chosen.backend);
    // Everything tried before the chosen one failed, in chain order, with a reason.
    const order = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
    expect(m.backendAttempts.map((a) => a.backend)).toEqual(order.slice(0, m.backendAttempts.length));
    for (const a of m.backendAttempts.slice(0, -1)) {
      expect(a.ok).toBe(false);
      expect(a.reason.length).toBeGreaterThan(5);
      expect(
        lines.some(
          (l) => l.msg === 'TF.js backend skipped' && l.backend === a.backend && l.reason === a.reason,
        ),
      ).toBe(true);
    }
    expect(lines.some((l) => l.msg === 'TF.js backend chosen' && l.backend === chosen.backend)).toBe(true);
    expect(m.warmupMs).toBeGreaterThanOrEqual(0);
    rt.submit(frame('endo', 0));
    await waitFor(() => results.length === 1, 10_000, 'one result');
    const p = Array.from(results[0]!.probabilities);
    expect(p).toHaveLength(4);
    expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 4);
    await rt.stop();
  });

  it('uses a backend forced in config', async () => {
    const { rt } = make({ backend: 'cpu' });
    await rt.start();
    expect(rt.metrics().backend).toBe('cpu');
    expect(rt.metrics().backendAttempts).toEqual([
      { backend: 'cpu', ok: true, reason: 'forced in config (inference.backend)' },
    ]);
    await rt.stop();
  });

  it('batches frames from several sources and keeps each source in order', async () => {
    const { rt, results } = make({ maxBatch: 4, queuePerSource: 8 });
    await rt.start();
    const sources = ['endo', 'room1', 'room2'];
    for (let seq = 0; seq < 20; seq++) {
      for (const s of sources) {
        await rt.waitForRoom(s);
        rt.submit(frame(s, seq, seq * 10));
      }
    }
    await rt.drain();
    expect(results).toHaveLength(60);
    for (const s of sources) {
      expect(results.filter((r) => r.frame.source === s).map((r) => r.frame.seq)).toEqual([
        ...Array(20).keys(),
      ]);
    }
    const m = rt.metrics();
    expect(m.meanBatchSize).toBeGreaterThan(1.5);
    expect(m.batches).toBeLessThan(60);
    expect(m.latencyP50Ms).toBeGreaterThan(0);
    expect(m.latencyP99Ms).toBeGreaterThanOrEqual(m.latencyP50Ms!);
    expect(m.queueDepth).toBe(0);
    await rt.stop();
  });

  it('drops the oldest frame of a live source when the worker is busy, and counts it', async () => {
    const { rt, results } = make({ maxBatch: 1, queuePerSource: 2 });
    await rt.start();
    for (let seq = 0; seq < 10; seq++) rt.submit(frame('endo', seq));
    await rt.drain();
    // Frame 0 went straight to the worker; of the nine queued behind it, the last two survive.
    expect(results.map((r) => r.frame.seq)).toEqual([0, 8, 9]);
    expect(rt.metrics().framesDropped).toBe(7);
    await rt.stop();
  });

  it('does not leak tensors over 10,000 frames', async () => {
    const { rt, results } = make({ maxBatch: 4, queuePerSource: 16 });
    await rt.start();
    const before = await rt.memory();
    for (let seq = 0; seq < 10_000; seq++) {
      await rt.waitForRoom('endo');
      rt.submit(frame('endo', seq, seq % 256));
    }
    await rt.drain();
    expect(results).toHaveLength(10_000);
    const after = await rt.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(rt.metrics().numTensors).toBe(before.numTensors);
    await rt.stop();
  });

  it('restarts a crashed worker and goes on classifying', async () => {
    const { rt, results } = make();
    await rt.start();
    rt.submit(frame('endo', 0));
    await waitFor(() => results.length === 1, 10_000, 'first result');
    rt.injectCrash();
    await waitFor(
      () => rt.metrics().workerRestarts === 1 && rt.metrics().state === 'ready',
      60_000,
      'worker restarted',
    );
    rt.submit(frame('endo', 1));
    await waitFor(() => results.length === 2, 10_000, 'result after restart');
    expect(results[1]!.frame.seq).toBe(1);
    expect(rt.model?.version).toBe('0.0.1');
    await rt.stop();
  });

  it('terminates a worker that stops answering, restarts it and goes on classifying', async () => {
    const { rt, results, lines } = make({ batchTimeoutMs: 500 });
    await rt.start();
    rt.submit(frame('endo', 0));
    await waitFor(() => results.length === 1, 10_000, 'first result');
    rt.injectHang();
    rt.submit(frame('endo', 1));
    // The lost batch was the last one: drain() must not wait for it.
    await rt.drain();
    await waitFor(
      () => rt.metrics().workerRestarts === 1 && rt.metrics().state === 'ready',
      60_000,
      'hung worker restarted',
    );
    const m = rt.metrics();
    expect(m.workerHangs).toBe(1);
    expect(m.framesLostInCrash).toBe(1);
    expect(m.lastError).toContain('did not answer a batch within 500 ms');
    expect(lines.some((l) => l.msg === 'inference worker hangs; terminating it to restart')).toBe(true);
    rt.submit(frame('endo', 2));
    await waitFor(() => results.length === 2, 10_000, 'result after restart');
    expect(results[1]!.frame.seq).toBe(2);
    await rt.stop();
  });

  it('refuses a corrupted package with the reason and keeps the previous model; accepts a good one', async () => {
    const { rt, results } = make();
    await rt.start();
    const refused = await rt.loadModel(broken);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('FILE_HASH_MISMATCH');
      expect(refused.error.message).toContain('weights.bin');
    }
    expect(rt.model?.version).toBe('0.0.1');
    rt.submit(frame('endo', 0));
    await waitFor(() => results.length === 1, 10_000, 'result from the previous model');
    const swapped = await rt.loadModel(v2);
    expect(swapped.ok).toBe(true);
    expect(rt.model?.version).toBe('0.0.2');
    rt.submit(frame('endo', 1));
    await waitFor(() => results.length === 2, 10_000, 'result from the new model');
    // Different weights, different scores for the same input.
    expect(Array.from(results[1]!.probabilities)).not.toEqual(Array.from(results[0]!.probabilities));
    await rt.stop();
  });
});
