/**
 * Replays generated cases from held-out seeds through the live code path (decode → worker →
 * filter) and records the result in the package manifest's `evaluation` (the manifest is
 * not among the hashed files, so the model files stay verified).
 *
 *   nice -n 10 npx tsx inference/train/evaluate.ts [--model inference/models/demo-cholec]
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { type Config, loadConfig } from '../../config/index.js';
import type { Logger } from '../../daemon/log.js';
import { ROOT } from '../../daemon/paths.js';
import { type Evaluation, evaluate } from '../evaluation.js';
import type { ModelManifest } from '../manifest.js';
import { DEMO_MODEL_DIR } from '../models.js';
import { MANIFEST_FILE } from '../package-loader.js';
import { type ReplayResult, replayVideo } from '../replay.js';
import type { CaseLabels } from '../sim/case-script.js';
import { generateSurgicalVideo, labelsPathFor } from '../sim/generate.js';
import { writeManifest } from './write-package.js';

export const EVALUATION_SEEDS = [201, 202, 203, 204];

/** Replays a generated case (next to its labels) through the live code path and scores it. */
export async function scoreReplay(
  video: string,
  modelDir: string,
  config: Config,
  log: Logger,
): Promise<Evaluation> {
  return (await replayAndScore(video, modelDir, config, log)).evaluation;
}

/** scoreReplay, keeping the replay and the labels it was scored against. */
export async function replayAndScore(
  video: string,
  modelDir: string,
  config: Config,
  log: Logger,
): Promise<{ evaluation: Evaluation; replay: ReplayResult; labels: CaseLabels }> {
  const labels = JSON.parse(readFileSync(labelsPathFor(video), 'utf8')) as CaseLabels;
  const replay = await replayVideo({ video, modelDir, config, log });
  const { classes, outOfBodyClass } = replay.model;
  const evaluation = evaluate(
    replay.frames,
    replay.timeline,
    labels,
    classes,
    outOfBodyClass ?? 'out_of_body',
  );
  return { evaluation, replay, labels };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: DEMO_MODEL_DIR },
      cache: { type: 'string', default: join(ROOT, '.cache', 'eval-videos') },
      minutes: { type: 'string', default: '4' },
    },
  });
  const config = loadConfig({ env: {} });
  const log = pino({ level: 'warn' }, pino.destination(2));
  mkdirSync(values.cache!, { recursive: true });
  const perVideo: Array<Record<string, unknown>> = [];
  for (const seed of EVALUATION_SEEDS) {
    const video = join(values.cache!, `eval-${seed}-${values.minutes}m.mp4`);
    await generateSurgicalVideo({
      seed,
      minutes: Number(values.minutes),
      out: video,
      width: 640,
      height: 480,
      fps: 25,
    });
    const e = await scoreReplay(video, values.model!, config, log);
    const row = {
      seed,
      minutes: Number(values.minutes),
      accuracy: e.accuracy,
      rawAccuracy: e.rawAccuracy,
      onlineAccuracy: e.onlineAccuracy,
      transitions: e.transitions,
      missedTransitions: e.missedTransitions,
      spuriousTransitions: e.spuriousTransitions,
      boundaryErrorMedianS: e.boundaryErrorMedianS,
      boundaryErrorMaxS: e.boundaryErrorMaxS,
    };
    process.stderr.write(`[evaluate] ${JSON.stringify(row)}\n`);
    perVideo.push(row);
  }
  const mean = (k: string) =>
    Math.round((perVideo.reduce((s, r) => s + Number(r[k]), 0) / perVideo.length) * 10000) / 10000;
  const manifestPath = join(values.model!, MANIFEST_FILE);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ModelManifest;
  manifest.evaluation = {
    script: 'inference/train/evaluate.ts',
    method:
      'orsight replay of generated cases from held-out seeds (never used in training), default filter config',
    seeds: EVALUATION_SEEDS,
    meanAccuracy: mean('accuracy'),
    meanRawAccuracy: mean('rawAccuracy'),
    meanOnlineAccuracy: mean('onlineAccuracy'),
    totalMissedTransitions: perVideo.reduce((s, r) => s + Number(r.missedTransitions), 0),
    videos: perVideo,
  };
  writeManifest(values.model!, manifest);
  process.stderr.write(`[evaluate] wrote evaluation into ${manifestPath}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
