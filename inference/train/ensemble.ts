/**
 * Joins trained demo-model packages into one package whose network runs them side by side on
 * the same frame and combines their scores: an ensemble, still one TF.js layers model, so the
 * runtime, the loader and every check treat it like any other package.
 *
 *   nice -n 10 npx tsx inference/train/ensemble.ts --members DIR,DIR [--combine logits]
 *     [--out inference/models/demo-cholec] [--version 1.5.0]
 *
 * --combine logits (default) averages the members' scores before their softmax (the
 * normalised geometric mean of their probabilities); mean averages the probabilities. The
 * members must share classes, input and grammar. The validation cases are replayed through the
 * joined network and its frame accuracy recorded next to each member's. Run calibrate.ts and
 * evaluate.ts on the result afterwards, as after train.ts.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../../daemon/paths.js';
import type { ModelManifest } from '../manifest.js';
import { DEMO_MODEL_DIR } from '../models.js';
import { type LoadedPackage, loadModelPackage } from '../package-loader.js';
import { selectBackend } from '../runtime/backend.js';
import { tf } from '../runtime/tf.js';
import { type LabelledFrames, loadVideoFrames } from './dataset.js';
import { frameAccuracy, recordedTrainSeeds, recordedValidationSpecs, sec } from './train.js';
import { writeModelPackage } from './write-package.js';

export type Combine = 'logits' | 'mean';

interface LayerJson {
  class_name: string;
  config: Record<string, unknown> & { name: string };
}

/**
 * A member's layers model, rebuilt with every layer and weight name prefixed, so that two
 * members trained by the same script (and so with the same layer names) can live in one
 * network. With `logits`, its last layer (a softmax dense) is rebuilt without the softmax.
 */
async function memberModel(pkg: LoadedPackage, prefix: string, logits: boolean): Promise<tf.LayersModel> {
  const topology = structuredClone(pkg.modelJson.modelTopology) as unknown as {
    class_name: string;
    config: { name: string; layers: LayerJson[] };
  };
  if (topology.class_name !== 'Sequential') {
    throw new Error(`${pkg.dir}: only sequential layers models can be joined, not ${topology.class_name}`);
  }
  topology.config.name = `${prefix}${topology.config.name}`;
  for (const layer of topology.config.layers) layer.config.name = `${prefix}${layer.config.name}`;
  const last = topology.config.layers.at(-1)!;
  if (logits) {
    if (last.class_name !== 'Dense' || last.config.activation !== 'softmax') {
      throw new Error(`${pkg.dir}: --combine logits needs a last layer that is a softmax dense layer`);
    }
    last.config.activation = 'linear';
  }
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: topology as unknown as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: pkg.weightSpecs.map((w) => ({
        ...w,
        name: `${prefix}${w.name}`,
      })) as tf.io.WeightsManifestEntry[],
      weightData: pkg.weightData,
    }),
  );
}

/** One network that runs every member on its input and combines their scores. */
export async function joinMembers(
  members: readonly LoadedPackage[],
  combine: Combine,
): Promise<tf.LayersModel> {
  const { width, height, channels } = members[0]!.manifest.input;
  const input = tf.input({ shape: [height, width, channels], name: 'frame' });
  const outputs: tf.SymbolicTensor[] = [];
  for (const [i, pkg] of members.entries()) {
    const m = await memberModel(pkg, `m${i + 1}_`, combine === 'logits');
    outputs.push(m.apply(input) as tf.SymbolicTensor);
  }
  let out = tf.layers.average({ name: 'combine' }).apply(outputs) as tf.SymbolicTensor;
  if (combine === 'logits')
    out = tf.layers.activation({ activation: 'softmax', name: 'scores' }).apply(out) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'ensemble' });
}

/** Why these packages cannot be joined, or undefined when they can. */
export function joinProblem(members: readonly ModelManifest[]): string | undefined {
  if (members.length < 2) return 'an ensemble needs at least two members';
  const [first, ...rest] = members;
  const same = (k: keyof ModelManifest) => JSON.stringify(first![k]);
  for (const m of rest) {
    for (const k of [
      'classes',
      'input',
      'phases',
      'transitions',
      'startPhases',
      'outOfBodyClass',
      'fps',
    ] as const) {
      if (JSON.stringify(m[k]) !== same(k))
        return `${m.name} ${m.version} differs from ${first!.name} ${first!.version} in ${k}`;
    }
  }
  return undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      members: { type: 'string' },
      combine: { type: 'string', default: 'logits' },
      out: { type: 'string', default: DEMO_MODEL_DIR },
      version: { type: 'string' },
      cache: { type: 'string', default: join(ROOT, '.cache', 'train-videos') },
    },
  });
  const combine = values.combine as Combine;
  if (combine !== 'logits' && combine !== 'mean') {
    throw new Error(`--combine must be logits or mean, not "${values.combine}"`);
  }
  if (values.members === undefined)
    throw new Error('--members needs the package folders to join, comma-separated');
  if (values.version === undefined) throw new Error('--version needs the version of the joined package');
  const t0 = performance.now();
  // Read every member before writing: --out may be one of them.
  const members = values.members.split(',').map((dir) => loadModelPackage(dir.trim()));
  const problem = joinProblem(members.map((m) => m.manifest));
  if (problem !== undefined) throw new Error(problem);
  const choice = await selectBackend('wasm');
  const model = await joinMembers(members, combine);

  const first = members[0]!.manifest;
  const val: LabelledFrames[] = [];
  const analysis = { width: first.input.width, height: first.input.height, fps: first.fps };
  for (const spec of recordedValidationSpecs(first)) {
    val.push(
      await loadVideoFrames(
        spec,
        values.cache!,
        analysis,
        first.classes,
        first.outOfBodyClass ?? 'out_of_body',
      ),
    );
  }
  const memberAccuracy: number[] = [];
  for (const [i, pkg] of members.entries()) {
    memberAccuracy.push(await frameAccuracy(await memberModel(pkg, `v${i + 1}_`, false), val));
  }
  const acc = await frameAccuracy(model, val);
  const pct = (a: number) => `${(a * 100).toFixed(1)} %`;
  log(
    `validation frame accuracy: members ${memberAccuracy.map(pct).join(', ')}; joined (${combine}) ${pct(acc)}`,
  );

  const round = (a: number) => Math.round(a * 10000) / 10000;
  const trainSeeds = [...new Set(members.flatMap((m) => recordedTrainSeeds(m.manifest)))].sort(
    (a, b) => a - b,
  );
  const { files: _files, model: _model, evaluation: _evaluation, boundaryLagS: _lag, ...rest } = first;
  const manifest = await writeModelPackage(values.out!, model, {
    ...rest,
    version: values.version,
    description:
      `${first.description ?? ''} Ensemble of ${members.length} networks trained apart, scores combined (${combine}).`.trim(),
    createdAt: new Date().toISOString(),
    training: {
      script: 'inference/train/ensemble.ts',
      combine,
      backend: choice.backend,
      trainSeeds,
      validationSeeds: first.training?.validationSeeds,
      caseMinutes: first.training?.caseMinutes,
      validationFrameAccuracy: round(acc),
      members: members.map((m, i) => ({
        version: m.manifest.version,
        validationFrameAccuracy: round(memberAccuracy[i]!),
        training: m.manifest.training,
      })),
      durationS: Number(sec(t0)),
    },
  });
  log(`wrote ${values.out} (${Object.keys(manifest.files).length} files) in ${sec(t0)} s`);
}

function log(msg: string): void {
  process.stderr.write(`[ensemble] ${msg}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
