/**
 * Re-fits the model's output layer on held-out cases and writes the package back.
 *
 *   nice -n 10 npx tsx inference/train/refit.ts [--model inference/models/demo-cholec]
 *
 * Training leaves the output layer fitted to features of the very cases the convolutional
 * layers were fitted to, where those features separate the phases better than they will on
 * an unseen case. This script keeps every other layer and replaces the output layer (dense,
 * softmax) by an L2-regularised multinomial logistic regression on the frozen features of
 * REFIT_SPECS: 40 further generated cases of 4, 8 and 12 minutes that neither training,
 * validation, calibration nor any evaluation uses, decoded through the live analysis branch.
 * Same architecture, same runtime: only that layer's weights change.
 *
 * Run it after train.ts and before calibrate.ts (the boundary lag belongs to the final model)
 * and evaluate.ts.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../../daemon/paths.js';
import type { ModelManifest } from '../manifest.js';
import { DEMO_MODEL_DIR } from '../models.js';
import { loadModelPackage } from '../package-loader.js';
import { selectBackend } from '../runtime/backend.js';
import { packageArtifacts } from '../runtime/model-runner.js';
import { tf } from '../runtime/tf.js';
import { type LabelledFrames, loadVideoFrames, seedRange, type VideoSpec } from './dataset.js';
import { predictFrames, recordedValidationSpecs, sec } from './train.js';
import { writeModelPackage } from './write-package.js';

const spec = (seed: number, minutes: number): VideoSpec => ({
  seed,
  minutes,
  width: 480,
  height: 360,
  fps: 25,
});

/** Held-out cases for the output layer: 16 of 4 minutes, 16 of 12, 8 of 8 (seeds 301–340). */
export const REFIT_SPECS: VideoSpec[] = [
  ...seedRange(301, 316).map((s) => spec(s, 4)),
  ...seedRange(317, 332).map((s) => spec(s, 12)),
  ...seedRange(333, 340).map((s) => spec(s, 8)),
];
/** Weight of the L2 penalty on the standardised features' coefficients (chosen before any evaluation). */
const L2 = 1e-3;
/** Full-batch Adam: the problem is convex, so the schedule only has to get close to its optimum. */
const SCHEDULE: Array<[steps: number, learningRate: number]> = [
  [1000, 0.05],
  [1000, 0.01],
  [500, 0.002],
];

/** The features the output layer reads (the layer below it, dropout being inactive at inference). */
function featureModel(model: tf.LayersModel): { features: tf.LayersModel; output: tf.layers.Layer } {
  const output = model.layers[model.layers.length - 1]!;
  const below = output.inboundNodes[0]!.inboundLayers[0]!;
  return { features: tf.model({ inputs: model.inputs, outputs: below.output as tf.SymbolicTensor }), output };
}

async function featuresOf(
  features: tf.LayersModel,
  videos: LabelledFrames[],
  input: ModelManifest['input'],
): Promise<{ x: Float32Array; y: Int32Array; dim: number }> {
  const dim = (features.outputs[0]!.shape as number[])[1]!;
  const total = videos.reduce((n, v) => n + v.frames.length, 0);
  const x = new Float32Array(total * dim);
  const y = new Int32Array(total);
  let row = 0;
  await predictFrames(
    features,
    videos,
    input,
    (output) => output,
    (data, labels) => {
      x.set(data, row * dim);
      y.set(labels, row);
      row += labels.length;
    },
  );
  return { x, y, dim };
}

/**
 * Multinomial logistic regression on standardised features, folded back into weights that
 * read the raw features: returns the kernel [dim, classes], the bias and the final loss.
 */
export async function fitSoftmax(
  xData: Float32Array,
  yData: Int32Array,
  dim: number,
  classes: number,
): Promise<{ kernel: tf.Tensor2D; bias: tf.Tensor1D; loss: number }> {
  const n = yData.length;
  const x = tf.tensor2d(xData, [n, dim]);
  const { mean, variance } = tf.moments(x, 0);
  const sd = tf.tidy(() => variance.sqrt().add(1e-6));
  const xs = tf.tidy(() => x.sub(mean).div(sd));
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(yData, 'int32'), classes));
  const w = tf.variable(tf.zeros([dim, classes]));
  const b = tf.variable(tf.zeros([classes]));
  const lossFn = () =>
    tf.tidy(() =>
      tf.losses.softmaxCrossEntropy(y, xs.matMul(w).add(b)).add(w.square().sum().mul(L2)),
    ) as tf.Scalar;
  let loss = Number.NaN;
  for (const [steps, learningRate] of SCHEDULE) {
    const optimizer = tf.train.adam(learningRate);
    for (let s = 0; s < steps; s++) {
      const l = optimizer.minimize(lossFn, s === steps - 1);
      if (l) {
        loss = (await l.data())[0]!;
        l.dispose();
      }
    }
    optimizer.dispose();
  }
  const kernel = tf.tidy(() => w.div(sd.reshape([dim, 1]))) as tf.Tensor2D;
  const bias = tf.tidy(() =>
    b.sub(mean.div(sd).reshape([1, dim]).matMul(w).reshape([classes])),
  ) as tf.Tensor1D;
  tf.dispose([x, mean, variance, sd, xs, y, w, b]);
  return { kernel, bias, loss };
}

/** Frame accuracy of an output layer (kernel, bias) on features: argmax of the logits. */
export async function accuracyOf(
  f: { x: Float32Array; y: Int32Array; dim: number },
  kernel: tf.Tensor,
  bias: tf.Tensor,
): Promise<number> {
  const predicted = tf.tidy(() => tf.tensor2d(f.x, [f.y.length, f.dim]).matMul(kernel).add(bias).argMax(1));
  const p = await predicted.data();
  predicted.dispose();
  let correct = 0;
  for (let i = 0; i < f.y.length; i++) if (p[i] === f.y[i]) correct++;
  return correct / Math.max(1, f.y.length);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: DEMO_MODEL_DIR },
      cache: { type: 'string', default: join(ROOT, '.cache', 'train-videos') },
      version: { type: 'string' },
    },
  });
  const t0 = performance.now();
  const choice = await selectBackend('wasm');
  const pkg = loadModelPackage(values.model!);
  const { manifest } = pkg;
  if (manifest.model.kind !== 'tfjs-layers') throw new Error('refit.ts needs a tfjs-layers model');
  if (!manifest.outOfBodyClass) {
    throw new Error(
      'refit.ts needs a model with an out-of-body class: the generated cases have out-of-body spans',
    );
  }
  const model = await tf.loadLayersModel(packageArtifacts(pkg));
  const { features, output } = featureModel(model);
  const { input, classes, outOfBodyClass } = manifest;
  const analysis = { width: input.width, height: input.height, fps: manifest.fps };
  const load = async (specs: VideoSpec[]) => {
    const out: LabelledFrames[] = [];
    for (const s of specs) {
      out.push(await loadVideoFrames(s, values.cache!, analysis, classes, outOfBodyClass));
      log(`video seed ${s.seed} (${s.minutes} min) decoded`);
    }
    return out;
  };
  // Each case runs through the frozen layers once; the accuracies before and after come from
  // those features and the output layer's old and new weights.
  const refitFeatures = await featuresOf(features, await load(REFIT_SPECS), input);
  const validationFeatures = await featuresOf(features, await load(recordedValidationSpecs(manifest)), input);
  const { x, y, dim } = refitFeatures;
  log(`features of ${y.length} frames (${dim} each) in ${sec(t0)} s; fitting`);
  const [oldKernel, oldBias] = output.getWeights();
  const before = {
    refit: await accuracyOf(refitFeatures, oldKernel!, oldBias!),
    validation: await accuracyOf(validationFeatures, oldKernel!, oldBias!),
  };
  const { kernel, bias, loss } = await fitSoftmax(x, y, dim, classes.length);
  const after = {
    refit: await accuracyOf(refitFeatures, kernel, bias),
    validation: await accuracyOf(validationFeatures, kernel, bias),
  };
  output.setWeights([kernel, bias]);
  tf.dispose([kernel, bias]);
  const round = (v: number) => Math.round(v * 10000) / 10000;
  const { files: _files, model: _model, ...rest } = manifest;
  await writeModelPackage(values.model!, model, {
    ...rest,
    version: values.version ?? rest.version,
    createdAt: new Date().toISOString(),
    training: {
      ...rest.training,
      refit: {
        script: 'inference/train/refit.ts',
        backend: choice.backend,
        seeds: REFIT_SPECS.map((s) => s.seed),
        caseMinutes: REFIT_SPECS.map((s) => s.minutes),
        frames: y.length,
        l2: L2,
        steps: SCHEDULE.reduce((n, [s]) => n + s, 0),
        loss: round(loss),
        frameAccuracyBefore: { refit: round(before.refit), validation: round(before.validation) },
        frameAccuracyAfter: { refit: round(after.refit), validation: round(after.validation) },
      },
    },
  });
  log(
    `output layer refitted (loss ${loss.toFixed(4)}): refit frames ${pct(before.refit)} → ${pct(after.refit)}, validation ${pct(before.validation)} → ${pct(after.validation)}; wrote ${values.model} in ${sec(t0)} s`,
  );
}

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

function log(msg: string): void {
  process.stderr.write(`[refit] ${msg}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
