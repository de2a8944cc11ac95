import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { generateSurgicalVideo, labelsPathFor } from './generate.js';

export interface DemoVideoOptions {
  seed?: number;
  minutes?: number;
  width?: number;
  height?: number;
  fps?: number;
}

/**
 * The demo's simulated endoscope video: generated once into `dir` (about a minute of work on
 * a small box for the default 20 minutes) and reused afterwards. The file name carries the
 * parameters, so changing them makes a new video instead of reusing a stale one.
 */
export async function ensureDemoVideo(dir: string, o: DemoVideoOptions = {}): Promise<string> {
  const seed = o.seed ?? 1;
  const minutes = o.minutes ?? 20;
  const width = o.width ?? 640;
  const height = o.height ?? 480;
  const fps = o.fps ?? 25;
  const path = join(dir, `sim-case-${seed}-${minutes}m-${width}x${height}-${fps}fps.mp4`);
  if (existsSync(path) && existsSync(labelsPathFor(path))) return path;
  const tmp = path.replace(/\.mp4$/, '.partial.mp4');
  await generateSurgicalVideo({ seed, minutes, out: tmp, width, height, fps });
  renameSync(labelsPathFor(tmp), labelsPathFor(path));
  renameSync(tmp, path);
  return path;
}
