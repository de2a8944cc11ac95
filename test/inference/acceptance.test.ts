/**
 * Issue 4 acceptance on generated cases from seeds never used in training or evaluation
 * (training: 101-150, validation 151-152, manifest evaluation 201-204): through the same
 * decode → worker → filter code as the live system, with the default configuration.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Evaluation, evaluate, targetShortfalls } from '../../inference/evaluation.js';
import { replayVideo } from '../../inference/replay.js';
import type { CaseLabels } from '../../inference/sim/case-script.js';
import { generateSurgicalVideo } from '../../inference/sim/generate.js';
import type { Timeline } from '../../inference/timeline.js';
import { EVALUATION_SEEDS } from '../../inference/train/evaluate.js';
import { TRAIN_SEEDS, VALIDATION_SEEDS } from '../../inference/train/train.js';
import { runCli } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { DEMO_MODEL_DIR, shippedTrainSeeds, testConfig } from './helpers.js';

/** 4-minute cases (the phases compressed about tenfold) and one 12-minute case. */
const CASES = [
  { seed: 9101, minutes: 4 },
  { seed: 9102, minutes: 4 },
  { seed: 9103, minutes: 4 },
  { seed: 9301, minutes: 12 },
];
const SEEDS = CASES.map((c) => c.seed);
const dir = tempDir('orsight-accept-');
const results = new Map<
  number,
  { video: string; labels: CaseLabels; evaluation: Evaluation; timeline: Timeline }
>();

beforeAll(async () => {
  const config = testConfig();
  const log = pino({ level: 'warn' });
  for (const { seed, minutes } of CASES) {
    const video = join(dir, `case-${seed}.mp4`);
    const g = await generateSurgicalVideo({ seed, minutes, out: video, width: 480, height: 360, fps: 25 });
    const r = await replayVideo({ video, modelDir: DEMO_MODEL_DIR, config, log });
    const evaluation = evaluate(r.frames, r.timeline, g.labels, r.model.classes, r.model.outOfBodyClass!);
    results.set(seed, { video, labels: g.labels, evaluation, timeline: r.timeline });
  }
  // About a minute alone; several times that while the rest of the suite shares the two cores.
}, 480_000);

describe('step detection on unseen generated cases', () => {
  it('uses seeds the demo model never saw', () => {
    const used = new Set([...TRAIN_SEEDS, ...VALIDATION_SEEDS, ...EVALUATION_SEEDS]);
    for (const s of SEEDS) expect(used.has(s)).toBe(false);
    const shipped = shippedTrainSeeds();
    for (const s of SEEDS) expect(shipped).not.toContain(s);
  });

  const summaryOf = (e: Evaluation) =>
    JSON.stringify({
      accuracy: e.accuracy,
      raw: e.rawAccuracy,
      missed: e.missedTransitions,
      median: e.boundaryErrorMedianS,
      max: e.boundaryErrorMaxS,
    });

  // Issue 4's target on each case. Model 1.5.1 with its calibrated boundary lag (0.8 s)
  // measured 0.990 / 0.978 / 0.993 after the filter on the 4-minute cases (raw 0.954 / 0.954 /
  // 0.968) and 0.998 on the 12-minute one (raw 0.988), no missed transition. These four cases
  // are not the whole story: over 216 unseen cases 211 meet the target (inference/train/survey.ts).
  for (const { seed, minutes } of CASES) {
    it(`seed ${seed} (${minutes} min): filtered accuracy ≥ 95 %, no missed transition, median boundary error ≤ 5 s, filter beats raw, out-of-body found`, () => {
      const e = results.get(seed)!.evaluation;
      const summary = summaryOf(e);
      expect(e.frames, summary).toBeGreaterThan(minutes * 60 * 5 - 50);
      expect(e.boundaryErrorMedianS, summary).not.toBeNull();
      expect(targetShortfalls(e), summary).toEqual([]);
      expect(e.perClass.out_of_body!.recall, summary).toBeGreaterThan(0.5);
    });
  }

  it('`orsight replay --json --labels` reports the same figures as the in-process replay', () => {
    const seed = SEEDS[0]!;
    const { video, evaluation } = results.get(seed)!;
    const r = runCli(
      ['replay', video, '--labels', video.replace(/\.mp4$/, '.labels.json'), '--json'],
      {},
      120_000,
    );
    expect(r.signal, `killed after 120 s; stdout: ${r.stdout.slice(-500)}`).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const k of [
      'accuracy',
      'rawAccuracy',
      'boundaryErrorMedianS',
      'boundaryErrorMaxS',
      'missedTransitions',
    ] as const) {
      expect(out[k], k).toEqual(evaluation[k]);
    }
    const timeline = results.get(seed)!.timeline as Timeline;
    const r3 = (ms: number) => Math.round(ms) / 1000;
    expect((out.timeline as { phases: unknown[] }).phases).toEqual(
      timeline.phases.map((p) => ({
        phase: p.phase,
        startS: r3(p.startMs),
        endS: p.endMs === undefined ? null : r3(p.endMs),
      })),
    );
    expect((out.model as { name: string }).name).toBe('demo-cholec');
    expect(out.realTimeFactor as number).toBeGreaterThan(1);
  });

  it('`orsight replay` refuses a corrupted model package and says why', () => {
    const seed = SEEDS[0]!;
    const bad = join(dir, 'bad-model');
    // A transition naming a phase the model does not have.
    cpSync(DEMO_MODEL_DIR, bad, { recursive: true });
    const m = JSON.parse(readFileSync(join(bad, 'manifest.json'), 'utf8')) as {
      transitions: Record<string, string[]>;
    };
    m.transitions.preparation!.push('closure');
    writeFileSync(join(bad, 'manifest.json'), JSON.stringify(m));
    const r = runCli(['replay', results.get(seed)!.video, '--model', bad, '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('UNKNOWN_PHASE');
    expect(r.stderr).toContain('"closure"');
  });
});
