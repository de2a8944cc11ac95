import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository / install root (the folder holding package.json). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the demo keeps its data: inside the checkout, ignored by git. */
export const DEMO_DATA_DIR = join(ROOT, 'data', 'demo');
