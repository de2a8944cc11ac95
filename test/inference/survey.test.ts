import { describe, expect, it } from 'vitest';
import { parseSeeds } from '../../inference/train/dataset.js';
import { EVALUATION_SEEDS } from '../../inference/train/evaluate.js';
import { REFIT_SPECS } from '../../inference/train/refit.js';
import { SURVEY_CASES } from '../../inference/train/survey.js';
import { TRAIN_SEEDS, VALIDATION_SEEDS } from '../../inference/train/train.js';

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
