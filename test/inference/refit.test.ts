import { describe, expect, it } from 'vitest';
import { tf } from '../../inference/runtime/tf.js';
import { Rng } from '../../inference/sim/rng.js';
import { accuracyOf, fitSoftmax } from '../../inference/train/refit.js';

describe('refit: the output layer as a regularised softmax regression', () => {
  it('learns classes from raw (unstandardised) features and folds the standardisation into its weights', async () => {
    // Three classes told apart by features on very different scales and offsets, one of them
    // pure noise: the fit standardises internally, the returned kernel must read raw features.
    const rng = new Rng(11);
    const n = 600;
    const dim = 3;
    const x = new Float32Array(n * dim);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = i % 3;
      y[i] = c;
      x[i * dim] = 1000 + 50 * (c === 1 ? 1 : 0) + 10 * rng.normal();
      x[i * dim + 1] = 0.01 * (c === 2 ? 1 : 0) + 0.002 * rng.normal();
      x[i * dim + 2] = 5 * rng.normal();
    }
    const { kernel, bias, loss } = await fitSoftmax(x, y, dim, 3);
    expect(kernel.shape).toEqual([dim, 3]);
    expect(bias.shape).toEqual([3]);
    const accuracy = await accuracyOf({ x, y, dim }, kernel, bias);
    tf.dispose([kernel, bias]);
    expect(accuracy).toBeGreaterThan(0.97);
    expect(loss).toBeLessThan(0.3);
  }, 60_000);
});
