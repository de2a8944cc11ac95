import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSeeds } from '../../inference/train/dataset.js';
import { EVALUATION_SEEDS } from '../../inference/train/evaluate.js';
import { REFIT_SPECS } from '../../inference/train/refit.js';
import { SURVEY_CASES } from '../../inference/train/survey.js';
import { TRAIN_SEEDS, VALIDATION_SEEDS } from '../../inference/train/train.js';
import { cleanEnv, ROOT, TSX } from '../helpers/process.js';

describe('the unseen-case survey', () => {
  it('uses 60 distinct seeds that no training, refit or evaluation script uses', () => {
    const seeds = SURVEY_CASES.map((c) => c.seed);
    expect(new Set(seeds).size).toBe(60);
    const used = new Set([
      ...TRAIN_SEEDS,
      ...VALIDATION_SEEDS,
      ...REFIT_SPECS.map((s) => s.seed),
      ...EVALUATION_SEEDS,
    ]);
    expect(seeds.filter((s) => used.has(s))).toEqual([]);
  });

  it('reads seeds and ranges, and says what is wrong with a bad list', () => {
    expect(parseSeeds('9101-9103, 9301')).toEqual([9101, 9102, 9103, 9301]);
    expect(() => parseSeeds('9101-')).toThrow('"9101-" is not a seed or a range like 9101-9115');
    expect(() => parseSeeds('9105-9101')).toThrow('range "9105-9101" ends before it starts');
  });
});

describe('the training script', () => {
  it('refuses bad options before it generates or trains anything, naming the option', () => {
    const train = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', TSX, join(ROOT, 'inference', 'train', 'train.ts'), ...args], {
        cwd: ROOT,
        env: cleanEnv(),
        encoding: 'utf8',
        timeout: 60_000,
      });
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
