import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ui/web: the web app's sources. */
export const WEB_DIR = dirname(fileURLToPath(import.meta.url));
/** ui/ */
export const UI_DIR = resolve(WEB_DIR, '..');
/** ui/dist: the built web app the daemon serves (built by ui/web/build.ts, ignored by git). */
export const DIST_DIR = join(UI_DIR, 'dist');
