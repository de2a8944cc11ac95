import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSeeds } from '../../inference/train/dataset.js';
import { EVALUATION_SEEDS } from '../../inference/train/evaluate.js';
import { REFIT_SPECS } from '../../inference/train/refit.js';
import { type RecordedCase, recordedCasePath, SURVEY_CASES } from '../../inference/train/survey.js';
import { TRAIN_SEEDS, VALIDATION_SEEDS } from '../../inference/train/train.js';
import { runTsx } from '../helpers/process.js';
import { shippedTrainSeeds } from './helpers.js';

describe('the unseen-case survey', () => {
  it('uses 60 distinct seeds that no training, refit or evaluation script uses, nor the shipped model', () => {
    const seeds = SURVEY_CASES.map((c) => c.seed);
    expect(new Set(seeds).size).toBe(60);
    const used = new Set([
      ...TRAIN_SEEDS,
      ...VALIDATION_SEEDS,
      ...REFIT_SPECS.map((s) => s.seed),
      ...EVALUATION_SEEDS,
      ...shippedTrainSeeds(),
    ]);
    expect(seeds.filter((s) => used.has(s))).toEqual([]);
  });

  it('reads seeds and ranges, and says what is wrong with a bad list', () => {
    expect(parseSeeds('9101-9103, 9301')).toEqual([9101, 9102, 9103, 9301]);
    expect(() => parseSeeds('9101-')).toThrow('"9101-" is not a seed or a range like 9101-9115');
    expect(() => parseSeeds('9105-9101')).toThrow('range "9105-9101" ends before it starts');
  });
});

describe('the survey on recorded scores', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orsight-survey-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const survey = (...args: string[]) =>
    runTsx(join('inference', 'train', 'survey.ts'), ['--seeds', '9731', '--minutes', '1', ...args], {
      timeoutMs: 120_000,
    });
  const rows = (r: ReturnType<typeof survey>) => {
    expect(r.status, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { rows: Array<Record<string, unknown>> }).rows;
  };

  it('filters recorded scores again to the figures of the replay that recorded them, with any config', () => {
    const rec = join(dir, 'rec');
    const replayed = rows(survey('--cache', join(dir, 'videos'), '--record', rec, '--json'));
    const refiltered = rows(survey('--scores', rec, '--json'));
    expect(refiltered).toEqual(replayed);
    expect(replayed[0]!.transitions).toBeGreaterThan(2);

    // The filter settings come from --config: a 30 s hysteresis misses the short phases.
    writeFileSync(join(dir, 'slow.yaml'), 'inference:\n  min_phase_duration_s: 30\n');
    const slow = rows(survey('--scores', rec, '--config', join(dir, 'slow.yaml'), '--json'));
    expect(slow[0]!.missedTransitions).toBeGreaterThan(replayed[0]!.missedTransitions as number);
    expect(slow[0]!.rawAccuracy).toBe(replayed[0]!.rawAccuracy);
  }, 180_000);

  it('refuses missing, mismatched and contradictory input, saying what to do', () => {
    const rec = join(dir, 'rec');
    const empty = survey('--scores', join(dir, 'none'));
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('no recorded scores for seed 9731 (1 min)');
    expect(empty.stderr).toContain(`record them with --record ${join(dir, 'none')}`);

    const other = join(dir, 'other');
    const c = JSON.parse(readFileSync(recordedCasePath(rec, 9731, 1), 'utf8')) as RecordedCase;
    c.model.version = '0.0.1';
    mkdirSync(other);
    writeFileSync(recordedCasePath(other, 9731, 1), JSON.stringify(c));
    const stale = survey('--scores', other);
    expect(stale.status).toBe(2);
    expect(stale.stderr).toMatch(
      /was recorded with model \S+ 0\.0\.1, not \S+ \d+\.\d+\.\d+: record it again/,
    );

    c.model.version = JSON.parse(readFileSync(recordedCasePath(rec, 9731, 1), 'utf8')).model.version;
    c.model.files['weights.bin'] = '0'.repeat(64);
    writeFileSync(recordedCasePath(other, 9731, 1), JSON.stringify(c));
    const retrained = survey('--scores', other);
    expect(retrained.status).toBe(2);
    expect(retrained.stderr).toMatch(
      /was recorded with other files of model .* \(their sha256 differ\): record it again/,
    );

    const both = survey('--scores', rec, '--record', rec);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--record and --scores exclude each other');

    writeFileSync(join(dir, 'bad.yaml'), 'inference:\n  min_phase_duration_s: -3\n');
    const bad = survey('--scores', rec, '--config', join(dir, 'bad.yaml'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(
      `config ${join(dir, 'bad.yaml')}: inference.min_phase_duration_s (line 2): must be >= 0`,
    );
  }, 60_000);
});

describe('the training script', () => {
  it('refuses bad options before it generates or trains anything, naming the option', () => {
    const train = (...args: string[]) => runTsx(join('inference', 'train', 'train.ts'), args);
    for (const [args, message] of [
      [['--hard-fraction', '0.3'], '--hard-fraction needs --from'],
      [['--from', 'x', '--hard-fraction', '1'], '--hard-fraction must be at least 0 and below 1, not "1"'],
      [['--lr', '0'], '--lr must be a positive number, not "0"'],
      [['--epochs', '0'], '--epochs must be a whole number of at least 1, not "0"'],
      [['--train-seeds', '140-101'], '--train-seeds: range "140-101" ends before it starts'],
    ] as const) {
      const r = train(...args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toContain('[train] video seed');
    }
  });
});
