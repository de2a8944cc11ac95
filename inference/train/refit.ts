/**
 * Re-fits the model's output layer on held-out cases and writes the package back.
 *
 *   nice -n 10 npx tsx inference/train/refit.ts [--model inference/models/demo-cholec] [--version V]
 *
 * Training leaves the output layer fitted to features of the very cases the convolutional
 * layers were fitted to, where those features separate the phases better than they will on
 * an unseen case, and to the class frequencies training drew. This script keeps every other
 * layer and fits the output layer (dense, softmax) again on the frozen features of
 * REFIT_SPECS, 48 generated cases of 4, 8 and 12 minutes that the model never trained on,
 * decoded through the live analysis branch: starting from the layer it has, with an L2
 * penalty on the change, and with the classes weighted equally, so that its scores carry no
 * class prior (the temporal filter uses them as likelihoods and brings its own prior through
 * the grammar and the duration model). Same architecture, same runtime: only that layer's
 * weights change. A model that trained on any of these cases is refused.
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
import {
  CASE_MINUTES,
  packageRef,
  predictFrames,
  recordedTrainSeeds,
  recordedValidationSpecs,
  sec,
  specFor,
} from './train.js';
import { writeModelPackage } from './write-package.js';

/**
 * Held-out cases for the output layer: seeds 153–200, generated as cases 51–98 of the training
 * list 101–150, 153–200 (so the training cache has them; 16 each of 4, 8 and 12 minutes, four
 * sizes). 1.5.0, whose output layer refitted so is the shipped 1.5.1, trained on 101–150.
 */
export const REFIT_SPECS: VideoSpec[] = seedRange(153, 200).map((s, i) => specFor(s, 50 + i, CASE_MINUTES));
/** Weight of the L2 penalty on the change of the output layer's kernel (inference/README.md). */
const L2 = 1e-5;
/** Full-batch Adam from the layer's own weights: the problem is convex and starts near its optimum. */
const STEPS = 600;
const LEARNING_RATE = 0.01;

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
 * Multinomial logistic regression on the features, each class weighted equally whatever its
 * number of frames, starting from `start` (the layer's kernel [dim, classes] and bias) with an
 * L2 penalty on the kernel's change: returns the new kernel, bias and the final loss.
 */
export async function fitSoftmax(
  xData: Float32Array,
  yData: Int32Array,
  dim: number,
  start: { kernel: tf.Tensor; bias: tf.Tensor },
): Promise<{ kernel: tf.Tensor2D; bias: tf.Tensor1D; loss: number }> {
  const n = yData.length;
  const classes = start.bias.shape[0]!;
  const counts = new Array<number>(classes).fill(0);
  for (const c of yData) counts[c]!++;
  const present = counts.filter((k) => k > 0).length;
  const x = tf.tensor2d(xData, [n, dim]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(yData, 'int32'), classes));
  // The mean loss over the frames of each class, averaged over the classes.
  const weights = tf.tensor1d(Float32Array.from(yData, (c) => n / (present * counts[c]!)));
  const k0 = start.kernel.clone();
  const w = tf.variable(start.kernel.clone());
  const b = tf.variable(start.bias.clone());
  const lossFn = () =>
    tf.tidy(() =>
      tf.losses.softmaxCrossEntropy(y, x.matMul(w).add(b), weights).add(w.sub(k0).square().sum().mul(L2)),
    ) as tf.Scalar;
  let loss = Number.NaN;
  const optimizer = tf.train.adam(LEARNING_RATE);
  for (let s = 0; s < STEPS; s++) {
    const l = optimizer.minimize(lossFn, s === STEPS - 1);
    if (l) {
      loss = (await l.data())[0]!;
      l.dispose();
    }
  }
  optimizer.dispose();
  const kernel = w.clone() as tf.Tensor2D;
  const bias = b.clone() as tf.Tensor1D;
  tf.dispose([x, y, weights, k0, w, b]);
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
  const trained = new Set(recordedTrainSeeds(manifest));
  const overlap = REFIT_SPECS.map((s) => s.seed).filter((s) => trained.has(s));
  if (overlap.length > 0) {
    throw new Error(
      `refit.ts: ${values.model} trained on seeds ${overlap.join(', ')}, which are refit cases; fit its output layer on cases it has not seen`,
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
  const { kernel, bias, loss } = await fitSoftmax(x, y, dim, { kernel: oldKernel!, bias: oldBias! });
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
        classWeights: 'equal',
        // The package this was (its output layer the starting point): it is replaced in place.
        startedFrom: packageRef(values.model!, manifest),
        l2: L2,
        steps: STEPS,
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
