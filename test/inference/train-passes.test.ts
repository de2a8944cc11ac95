import { describe, expect, it } from 'vitest';
import { loadModelPackage } from '../../inference/package-loader.js';
import { packageArtifacts } from '../../inference/runtime/model-runner.js';
import { preprocess } from '../../inference/runtime/preprocess.js';
import { tf } from '../../inference/runtime/tf.js';
import { Rng } from '../../inference/sim/rng.js';
import type { LabelledFrames } from '../../inference/train/dataset.js';
import { loadWeightsOf, predictFrames } from '../../inference/train/train.js';
import { DEMO_MODEL_DIR } from './helpers.js';

describe('training scripts: one pass of a model over whole videos', () => {
  it('gives every frame, in order and in batches, the output the model gives it alone, with its label', async () => {
    const pkg = loadModelPackage(DEMO_MODEL_DIR);
    const { input, classes } = pkg.manifest;
    const model = await tf.loadLayersModel(packageArtifacts(pkg));
    const rng = new Rng(5);
    const frameBytes = input.width * input.height * 3;
    // Two videos; the first is longer than one batch, so a batch ends inside it.
    const videos: LabelledFrames[] = [70, 9].map((count, vi) => ({
      spec: { seed: vi, minutes: 1, width: input.width, height: input.height, fps: 5 },
      frames: Array.from({ length: count }, () =>
        Uint8Array.from({ length: frameBytes }, () => rng.int(0, 255)),
      ),
      labels: Int32Array.from({ length: count }, () => rng.int(0, classes.length - 1)),
    }));
    const outputs: number[][] = [];
    const labels: number[] = [];
    const batches: number[] = [];
    await predictFrames(
      model,
      videos,
      input,
      (output) => output,
      (data, batchLabels) => {
        batches.push(batchLabels.length);
        for (let k = 0; k < batchLabels.length; k++) {
          outputs.push(Array.from(data.subarray(k * classes.length, (k + 1) * classes.length)));
          labels.push(batchLabels[k]!);
        }
      },
    );
    expect(batches).toEqual([64, 6, 9]);
    expect(labels).toEqual(videos.flatMap((v) => Array.from(v.labels)));
    const frames = videos.flatMap((v) => v.frames);
    for (const f of [0, 63, 64, 69, 70, 78]) {
      const alone = tf.tidy(
        () =>
          model.predict(
            preprocess(tf, tf.tensor4d(frames[f]!, [1, input.height, input.width, 3], 'int32'), input),
          ) as tf.Tensor,
      );
      const want = Array.from(await alone.data());
      alone.dispose();
      for (let c = 0; c < classes.length; c++) expect(outputs[f]![c]).toBeCloseTo(want[c]!, 4);
    }
    model.dispose();
  }, 120_000);

  it('a fine-tune names the package it starts from by version and files, and refuses one with other classes', async () => {
    const { manifest } = loadModelPackage(DEMO_MODEL_DIR);
    const from = await loadWeightsOf(DEMO_MODEL_DIR, manifest.classes);
    expect(from.startedFrom).toEqual({
      dir: DEMO_MODEL_DIR,
      name: manifest.name,
      version: manifest.version,
      files: manifest.files,
    });
    expect(from.model.outputs[0]!.shape).toEqual([null, manifest.classes.length]);
    from.model.dispose();
    await expect(loadWeightsOf(DEMO_MODEL_DIR, manifest.classes.slice(1))).rejects.toThrow(
      `--from ${DEMO_MODEL_DIR}: its classes (${manifest.classes.join(', ')}) are not`,
    );
  });
});
