/**
 * Replays many generated cases from seeds no training or evaluation script uses (the
 * acceptance test's among them) through the live code path, and counts how many meet issue
 * 4's whole target. This is where inference/README.md's "N of 60" comes from.
 *
 *   nice -n 10 npx tsx inference/train/survey.ts [--model DIR] [--seeds 9101-9115,9201-9215]
 *     [--minutes 4] [--config FILE] [--record DIR | --scores DIR] [--json]
 *
 * Without --seeds: 30 four-minute cases (9101–9115, 9201–9215) and 30 twelve-minute cases
 * (9301–9330), 480×360 at 25 fps like test/inference/acceptance.test.ts. Videos are kept in
 * --cache and reused. All 60 took 24 minutes, 6 with the videos cached (two shared cores).
 *
 * --config takes an orsight config file, so the filter settings under `inference:` can be
 * tried (the default is the built-in defaults). --record DIR also writes each case's
 * per-frame class probabilities and labels to DIR; --scores DIR then filters those again
 * instead of decoding and classifying: the same figures as a replay with that config (the
 * filter sees exactly the recorded probabilities), in seconds rather than an hour, which is
 * how a filter setting is tried across 150 cases.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { type Config, ConfigError, loadConfig } from '../../config/index.js';
import { ROOT } from '../../daemon/paths.js';
import { type Evaluation, evaluate, targetShortfalls } from '../evaluation.js';
import type { ModelManifest } from '../manifest.js';
import { DEMO_MODEL_DIR } from '../models.js';
import { loadModelPackage } from '../package-loader.js';
import { filterRecorded, type RecordedScore } from '../phase-pipeline.js';
import type { CaseLabels } from '../sim/case-script.js';
import { ensureVideo, parseSeeds, seedRange } from './dataset.js';
import { replayAndScore } from './evaluate.js';

/** The survey's default cases: seed and length in minutes. */
export const SURVEY_CASES: ReadonlyArray<{ seed: number; minutes: number }> = [
  ...seedRange(9101, 9115).map((seed) => ({ seed, minutes: 4 })),
  ...seedRange(9201, 9215).map((seed) => ({ seed, minutes: 4 })),
  ...seedRange(9301, 9330).map((seed) => ({ seed, minutes: 12 })),
];

/** One case's recorded frame scores (survey.ts --record), with the labels to score them against. */
export interface RecordedCase {
  format: 'orsight-recorded-scores';
  version: 1;
  seed: number;
  minutes: number;
  /** The package that scored the frames: name, version and the sha256 of each of its files. */
  model: { name: string; version: string; files: Record<string, string> };
  labels: CaseLabels;
  scores: RecordedScore[];
}

export function recordedCasePath(dir: string, seed: number, minutes: number): string {
  return join(dir, `${seed}-${minutes}m.json`);
}

/**
 * Reads a recorded case for the model that is to filter it; a missing, unreadable or
 * mismatched file is refused with what to do about it.
 */
export function readRecordedCase(
  dir: string,
  seed: number,
  minutes: number,
  model: ModelManifest,
): RecordedCase {
  const file = recordedCasePath(dir, seed, minutes);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(
      `no recorded scores for seed ${seed} (${minutes} min): ${file} is missing; record them with --record ${dir}`,
    );
  }
  let c: RecordedCase;
  try {
    c = JSON.parse(text) as RecordedCase;
  } catch (err) {
    throw new Error(
      `${file} is not valid JSON (${(err as Error).message}); record it again with --record ${dir}`,
    );
  }
  if (c.format !== 'orsight-recorded-scores' || c.version !== 1 || !Array.isArray(c.scores) || !c.labels)
    throw new Error(
      `${file} is not a recorded case of this survey (format orsight-recorded-scores, version 1)`,
    );
  if (c.seed !== seed || c.minutes !== minutes)
    throw new Error(`${file} holds seed ${c.seed} (${c.minutes} min), not seed ${seed} (${minutes} min)`);
  const again = 'record it again with this --model';
  if (c.model?.name !== model.name || c.model.version !== model.version)
    throw new Error(
      `${file} was recorded with model ${c.model?.name} ${c.model?.version}, not ${model.name} ${model.version}: ${again}`,
    );
  if (JSON.stringify(sorted(c.model.files)) !== JSON.stringify(sorted(model.files)))
    throw new Error(
      `${file} was recorded with other files of model ${model.name} ${model.version} (their sha256 differ): ${again}`,
    );
  return c;
}

function sorted(files: Record<string, string> | undefined): Array<[string, string]> {
  return Object.entries(files ?? {}).sort(([a], [b]) => a.localeCompare(b));
}

/** Scores one case: a replay through the live path (and its record, with recordDir), or its recorded scores filtered again. */
async function scoreCase(
  seed: number,
  minutes: number,
  o: {
    model: string;
    manifest: ModelManifest;
    cache: string;
    config: Config;
    log: pino.Logger;
    record?: string;
    scores?: string;
  },
): Promise<Evaluation> {
  const { manifest } = o;
  if (o.scores !== undefined) {
    const c = readRecordedCase(o.scores, seed, minutes, manifest);
    const r = filterRecorded(manifest, o.config.inference, c.scores);
    return evaluate(
      r.frames,
      r.timeline,
      c.labels,
      manifest.classes,
      manifest.outOfBodyClass ?? 'out_of_body',
    );
  }
  const video = await ensureVideo({ seed, minutes, width: 480, height: 360, fps: 25 }, o.cache);
  const { evaluation, replay, labels } = await replayAndScore(video, o.model, o.config, o.log);
  if (o.record !== undefined) {
    const c: RecordedCase = {
      format: 'orsight-recorded-scores',
      version: 1,
      seed,
      minutes,
      model: { name: manifest.name, version: manifest.version, files: manifest.files },
      labels,
      scores: replay.frames.map((f) => [f.tsMs, f.seq, f.probabilities]),
    };
    writeFileSync(recordedCasePath(o.record, seed, minutes), JSON.stringify(c));
  }
  return evaluation;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: DEMO_MODEL_DIR },
      cache: { type: 'string', default: join(ROOT, '.cache', 'survey-videos') },
      seeds: { type: 'string' },
      minutes: { type: 'string', default: '4' },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
      record: { type: 'string' },
      scores: { type: 'string' },
    },
  });
  if (values.record !== undefined && values.scores !== undefined)
    throw new Error('--record and --scores exclude each other: --scores filters again what --record wrote');
  const cases =
    values.seeds === undefined
      ? SURVEY_CASES
      : parseSeeds(values.seeds).map((seed) => ({ seed, minutes: Number(values.minutes) }));
  const config = values.config === undefined ? loadConfig({ env: {} }) : loadConfig({ file: values.config });
  const log = pino({ level: 'warn' }, pino.destination(2));
  const { manifest } = loadModelPackage(values.model!);
  if (values.record !== undefined) mkdirSync(values.record, { recursive: true });
  const o = { ...values, model: values.model!, cache: values.cache!, manifest, config, log };
  const rows = [];
  for (const { seed, minutes } of cases) {
    const e = await scoreCase(seed, minutes, o);
    const shortfalls = targetShortfalls(e);
    const row = {
      seed,
      minutes,
      meetsTarget: shortfalls.length === 0,
      shortfalls,
      accuracy: e.accuracy,
      rawAccuracy: e.rawAccuracy,
      transitions: e.transitions,
      missedTransitions: e.missedTransitions,
      spuriousTransitions: e.spuriousTransitions,
      boundaryErrorMedianS: e.boundaryErrorMedianS,
      boundaryErrorMaxS: e.boundaryErrorMaxS,
    };
    rows.push(row);
    process.stderr.write(
      `[survey] seed ${seed} (${minutes} min): ${row.meetsTarget ? 'meets the target' : shortfalls.join('; ')} (filtered ${(e.accuracy * 100).toFixed(1)} %, raw ${(e.rawAccuracy * 100).toFixed(1)} %)\n`,
    );
  }
  const meeting = rows.filter((r) => r.meetsTarget).length;
  const summary = {
    model: values.model,
    config: values.config ?? '(defaults)',
    from: values.scores === undefined ? 'replay' : `recorded scores in ${values.scores}`,
    cases: rows.length,
    meetTarget: meeting,
    failing: rows.filter((r) => !r.meetsTarget).map((r) => r.seed),
    meanAccuracy: rows.reduce((s, r) => s + r.accuracy, 0) / Math.max(1, rows.length),
    missedTransitions: rows.reduce((s, r) => s + r.missedTransitions, 0),
  };
  if (values.json) process.stdout.write(`${JSON.stringify({ ...summary, rows })}\n`);
  else {
    process.stdout.write(
      `${meeting} of ${rows.length} cases meet the whole target; failing: ${summary.failing.join(', ') || 'none'}; mean filtered accuracy ${(summary.meanAccuracy * 100).toFixed(2)} %, ${summary.missedTransitions} missed transitions\n`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await main();
  } catch (err) {
    const where = err instanceof ConfigError && err.file ? `config ${err.file}: ` : '';
    process.stderr.write(`[survey] ${where}${(err as Error).message}\n`);
    process.exit(2);
  }
}
