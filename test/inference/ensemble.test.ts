import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelPackage } from '../../inference/package-loader.js';
import { packageArtifacts } from '../../inference/runtime/model-runner.js';
import { tf } from '../../inference/runtime/tf.js';
import { joinMembers, joinProblem } from '../../inference/train/ensemble.js';
import { writeModelPackage } from '../../inference/train/write-package.js';
import { tempDir } from '../helpers/tmp.js';
import { DEMO_MODEL_DIR, makeTinyPackage, TINY_CLASSES, TINY_SIZE } from './helpers.js';

async function scores(model: tf.LayersModel, x: tf.Tensor): Promise<number[][]> {
  const y = model.predict(x) as tf.Tensor;
  const rows = (await y.array()) as number[][];
  y.dispose();
  return rows;
}

describe('ensemble.ts: trained packages joined into one', () => {
  it('runs every member on the frame and combines their scores, and the joined package loads and scores the same', async () => {
    const dir = tempDir();
    // Two members trained by the same script: the same layer names, different weights.
    const members = [
      loadModelPackage(await makeTinyPackage(join(dir, 'a'), '0.0.1', 1)),
      loadModelPackage(await makeTinyPackage(join(dir, 'b'), '0.0.1', 7)),
    ];
    const x = tf.randomUniform([5, TINY_SIZE, TINY_SIZE, 3], 0, 1, 'float32', 3);
    const alone = await Promise.all(
      members.map(async (m) => scores(await tf.loadLayersModel(packageArtifacts(m)), x)),
    );
    expect(alone[0]![0]![0]).not.toBeCloseTo(alone[1]![0]![0]!, 3);
    const mean = alone[0]!.map((row, i) => row.map((p, c) => (p + alone[1]![i]![c]!) / 2));
    const geometric = alone[0]!.map((row, i) => {
      const g = row.map((p, c) => Math.sqrt(p * alone[1]![i]![c]!));
      const s = g.reduce((a, b) => a + b, 0);
      return g.map((v) => v / s);
    });
    for (const [combine, want] of [
      ['mean', mean],
      ['logits', geometric],
    ] as const) {
      const joined = await joinMembers(members, combine);
      const out = join(dir, combine);
      await writeModelPackage(out, joined, { ...members[0]!.manifest, version: '0.1.0' });
      const reloaded = await tf.loadLayersModel(packageArtifacts(loadModelPackage(out)));
      for (const got of [await scores(joined, x), await scores(reloaded, x)]) {
        for (let i = 0; i < want.length; i++) {
          for (let c = 0; c < TINY_CLASSES.length; c++) expect(got[i]![c]).toBeCloseTo(want[i]![c]!, 5);
        }
      }
      joined.dispose();
      reloaded.dispose();
    }
    x.dispose();
  }, 60_000);

  it('refuses members that differ in what the runtime and filter rely on, naming it', async () => {
    const tiny = loadModelPackage(await makeTinyPackage(join(tempDir(), 'a'))).manifest;
    const demo = loadModelPackage(DEMO_MODEL_DIR).manifest;
    expect(joinProblem([demo])).toBe('an ensemble needs at least two members');
    expect(joinProblem([demo, demo])).toBeUndefined();
    expect(joinProblem([demo, tiny])).toBe(
      `tiny-test 0.0.1 differs from demo-cholec ${demo.version} in classes`,
    );
    expect(joinProblem([demo, { ...demo, transitions: { ...demo.transitions, preparation: [] } }])).toContain(
      'in transitions',
    );
  });
});
