import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import { DEMO_MODEL_DIR } from '../../inference/models.js';
import type { RuntimeOptions } from '../../inference/runtime/inference-runtime.js';
import { tf } from '../../inference/runtime/tf.js';
import { writeModelPackage } from '../../inference/train/write-package.js';

export { DEMO_MODEL_DIR };

/** The seeds the shipped demo model was trained on, from its manifest (a fine-tune may go beyond TRAIN_SEEDS). */
export function shippedTrainSeeds(): number[] {
  const manifest = JSON.parse(readFileSync(join(DEMO_MODEL_DIR, 'manifest.json'), 'utf8')) as {
    training: { trainSeeds: number[] };
  };
  return manifest.training.trainSeeds;
}

export const TINY_CLASSES = ['a', 'b', 'c', 'out'];
export const TINY_SIZE = 16;

/**
 * A tiny but real TF.js layers model package (16×16 input, one conv, softmax over 4 classes)
 * so runtime tests can push thousands of frames in seconds.
 */
export async function makeTinyPackage(dir: string, version = '0.0.1', seed = 1): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [TINY_SIZE, TINY_SIZE, 3],
      filters: 4,
      kernelSize: 3,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
    }),
  );
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(
    tf.layers.dense({
      units: TINY_CLASSES.length,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    }),
  );
  await writeModelPackage(dir, m, {
    format: 'orsight-model-package',
    formatVersion: 1,
    name: 'tiny-test',
    version,
    procedure: 'test-procedure',
    input: {
      width: TINY_SIZE,
      height: TINY_SIZE,
      channels: 3,
      colorOrder: 'RGB',
      layout: 'NHWC',
      normalization: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
    },
    fps: 5,
    classes: TINY_CLASSES,
    phases: [
      { id: 'a', displayName: 'A', color: '#112233', typicalDurationS: 60 },
      { id: 'b', displayName: 'B', color: '#445566', typicalDurationS: 60 },
      { id: 'c', displayName: 'C', color: '#778899', typicalDurationS: 60 },
    ],
    startPhases: ['a'],
    transitions: { a: ['b'], b: ['c'] },
    outOfBodyClass: 'out',
  });
  m.dispose();
  return dir;
}

/** A copy of the demo package to corrupt. */
export function copyDemoPackage(dir: string): string {
  cpSync(DEMO_MODEL_DIR, dir, { recursive: true });
  return dir;
}

export function testConfig(overrides: Record<string, unknown> = {}) {
  return loadConfig({ env: {}, overrides: { log: { level: 'warn' }, ...overrides } });
}

export function runtimeOpts(modelDir: string, o: Partial<RuntimeOptions> = {}): RuntimeOptions {
  return {
    modelDir,
    backend: 'auto',
    maxBatch: 4,
    queuePerSource: 4,
    warmupRuns: 1,
    startTimeoutMs: 60_000,
    batchTimeoutMs: 15_000,
    restartBackoffMs: 100,
    restartBackoffMaxMs: 1000,
    latencyWindow: 1000,
    ...o,
  };
}

/** A logger that keeps its JSON lines for assertions. */
export function memoryLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'info' },
    { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { log, lines };
}

export function frame(source: string, seq: number, value = 100, size = TINY_SIZE) {
  return {
    source,
    seq,
    tsMs: seq * 200,
    width: size,
    height: size,
    data: new Uint8Array(size * size * 3).fill(value),
  };
}

export const here = (...p: string[]) => join(import.meta.dirname, ...p);
