/**
 * Measures how late the model recognises a new phase and records it in the package manifest
 * as `boundaryLagS`, which the temporal filter subtracts when it places a confirmed boundary.
 *
 *   nice -n 10 npx tsx inference/train/calibrate.ts [--model inference/models/demo-cholec]
 *
 * A phase change shows gradually (the view and the instruments change over a second or two),
 * so the change point in the classifier's scores lies systematically after the true boundary.
 * The lag is the median offset (detected − true) of the boundaries found in the validation
 * cases, replayed with no lag correction through the live code path. Validation cases only:
 * the evaluation seeds (evaluate.ts) and the acceptance test's seeds stay unseen.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import { median } from '../../daemon/cases/quantiles.js';
import { ROOT } from '../../daemon/paths.js';
import type { ModelManifest } from '../manifest.js';
import { DEMO_MODEL_DIR } from '../models.js';
import { MANIFEST_FILE } from '../package-loader.js';
import { ensureVideo } from './dataset.js';
import { scoreReplay } from './evaluate.js';
import { recordedValidationSpecs } from './train.js';
import { writeManifest } from './write-package.js';

/** The median of the offsets, rounded to 0.1 s; 0 when the model is early or nothing matched. */
function boundaryLag(offsetsS: readonly number[]): number {
  return Math.max(0, Math.round((median(offsetsS) ?? 0) * 10) / 10);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: DEMO_MODEL_DIR },
      cache: { type: 'string', default: join(ROOT, '.cache', 'train-videos') },
    },
  });
  const config = loadConfig({ env: {}, overrides: { inference: { boundary_lag_s: 0 } } });
  const log = pino({ level: 'warn' }, pino.destination(2));
  const manifestPath = join(values.model!, MANIFEST_FILE);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ModelManifest;
  // The validation cases as this model's training generated them (the lengths it recorded).
  const specs = recordedValidationSpecs(manifest);
  const offsets: number[] = [];
  for (const spec of specs) {
    const video = await ensureVideo(spec, values.cache!);
    const e = await scoreReplay(video, values.model!, config, log);
    process.stderr.write(
      `[calibrate] seed ${spec.seed} (${spec.minutes} min): offsets ${e.boundaryOffsetsS.join(' ')}\n`,
    );
    offsets.push(...e.boundaryOffsetsS);
  }
  const lag = boundaryLag(offsets);
  manifest.boundaryLagS = lag;
  manifest.training = {
    ...manifest.training,
    boundaryLag: {
      script: 'inference/train/calibrate.ts',
      seeds: specs.map((s) => s.seed),
      boundaries: offsets.length,
      medianOffsetS: lag,
    },
  };
  writeManifest(values.model!, manifest);
  process.stderr.write(
    `[calibrate] boundaryLagS ${lag} (${offsets.length} boundaries) written to ${manifestPath}\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
