import { join } from 'node:path';
import { ROOT } from '../daemon/paths.js';

/** The shipped demo model package (trained by inference/train/train.ts). */
export const DEMO_MODEL_DIR = join(ROOT, 'inference', 'models', 'demo-cholec');
