import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_MODEL_DIR } from '../../inference/models.js';
import { tf } from '../../inference/runtime/tf.js';
import { Rng } from '../../inference/sim/rng.js';
import { fitSoftmax, REFIT_SPECS } from '../../inference/train/refit.js';
import { runTsx } from '../helpers/process.js';

describe('refit: the output layer as a softmax regression with the classes weighted equally', () => {
  it('moves a layer that favours the common class to one that finds the rare ones too', async () => {
    // 900 frames of class 0 and 50 each of classes 1 and 2, overlapping; the start layer's
    // bias says "class 0" for every frame.
    const rng = new Rng(11);
    const centres = [
      [0, 0],
      [2, 0],
      [0, 2],
    ];
    const labels = [
      ...new Array<number>(900).fill(0),
      ...new Array<number>(50).fill(1),
      ...new Array<number>(50).fill(2),
    ];
    const dim = 2;
    const x = new Float32Array(labels.length * dim);
    const y = Int32Array.from(labels);
    labels.forEach((c, i) => {
      x[i * dim] = centres[c]![0]! + 0.7 * rng.normal();
      x[i * dim + 1] = centres[c]![1]! + 0.7 * rng.normal();
    });
    const start = { kernel: tf.zeros([dim, 3]), bias: tf.tensor1d([3, 0, 0]) };
    const recall = async (kernel: tf.Tensor, bias: tf.Tensor) => {
      const p = tf.tidy(() => tf.tensor2d(x, [y.length, dim]).matMul(kernel).add(bias).argMax(1));
      const predicted = await p.data();
      p.dispose();
      return [0, 1, 2].map((c) => {
        const of = [...y.keys()].filter((i) => y[i] === c);
        return of.filter((i) => predicted[i] === c).length / of.length;
      });
    };
    expect(await recall(start.kernel, start.bias)).toEqual([1, 0, 0]);
    const { kernel, bias, loss } = await fitSoftmax(x, y, dim, start);
    expect(kernel.shape).toEqual([dim, 3]);
    expect(bias.shape).toEqual([3]);
    const after = await recall(kernel, bias);
    tf.dispose([kernel, bias, start.kernel, start.bias]);
    for (const r of after) expect(r).toBeGreaterThan(0.8);
    expect(loss).toBeLessThan(0.5);
  }, 60_000);

  it('refuses a model that trained on a refit case, before any work, and leaves its package as it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orsight-refit-'));
    try {
      const pkg = join(dir, 'model');
      cpSync(DEMO_MODEL_DIR, pkg, { recursive: true });
      const manifestPath = join(pkg, 'manifest.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      const refitSeed = REFIT_SPECS[0]!.seed;
      manifest.training.trainSeeds = [...manifest.training.trainSeeds, refitSeed];
      writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
      const before = readFileSync(join(pkg, 'weights.bin'));
      const r = runTsx(join('inference', 'train', 'refit.ts'), ['--model', pkg], { timeoutMs: 120_000 });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`trained on seeds ${refitSeed}, which are refit cases`);
      expect(readFileSync(join(pkg, 'weights.bin')).equals(before)).toBe(true);
      expect(JSON.parse(readFileSync(manifestPath, 'utf8'))).toEqual(manifest);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
