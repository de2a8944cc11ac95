import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CaseLabels, isOutOfBodyAt, phaseAt } from '../sim/case-script.js';
import { generateSurgicalVideo, labelsPathFor } from '../sim/generate.js';
import { decodeAnalysisFrames } from '../video/analysis-decoder.js';

export interface VideoSpec {
  seed: number;
  minutes: number;
  width: number;
  height: number;
  fps: number;
}

export interface LabelledFrames {
  spec: VideoSpec;
  frames: Uint8Array[];
  /** Class index per frame (into `classes`). */
  labels: Int32Array;
}

/** The class a frame at tS seconds should get: the out-of-body class while out, else the phase. */
export function frameClass(
  labels: CaseLabels,
  tS: number,
  classes: readonly string[],
  outOfBodyClass: string,
): number {
  const name = isOutOfBodyAt(labels.outOfBody, tS) ? outOfBodyClass : phaseAt(labels.segments, tS);
  return classes.indexOf(name);
}

/** The seeds from `from` to `to`, both included. */
export function seedRange(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** "9101-9115,9301" → [9101, …, 9115, 9301]. */
export function parseSeeds(spec: string, flag = '--seeds'): number[] {
  return spec.split(',').flatMap((part) => {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!m) throw new Error(`${flag}: "${part}" is not a seed or a range like 9101-9115`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new Error(`${flag}: range "${part}" ends before it starts`);
    return seedRange(from, to);
  });
}

/** Generates a video into the cache unless it is there already; returns its path. */
export async function ensureVideo(spec: VideoSpec, cacheDir: string): Promise<string> {
  mkdirSync(cacheDir, { recursive: true });
  const path = join(
    cacheDir,
    `sim-${spec.seed}-${spec.minutes}m-${spec.width}x${spec.height}-${spec.fps}.mp4`,
  );
  if (!existsSync(path) || !existsSync(labelsPathFor(path))) {
    await generateSurgicalVideo({ ...spec, out: path });
  }
  return path;
}

/** Generates (or reuses from the cache) a video and decodes it through the live analysis path. */
export async function loadVideoFrames(
  spec: VideoSpec,
  cacheDir: string,
  analysis: { width: number; height: number; fps: number },
  classes: readonly string[],
  outOfBodyClass: string,
): Promise<LabelledFrames> {
  const path = await ensureVideo(spec, cacheDir);
  const labels = JSON.parse(readFileSync(labelsPathFor(path), 'utf8')) as CaseLabels;
  const frames: Uint8Array[] = [];
  const classOf: number[] = [];
  for await (const f of decodeAnalysisFrames({ path, source: 'train', ...analysis })) {
    frames.push(f.data);
    classOf.push(frameClass(labels, f.tsMs / 1000, classes, outOfBodyClass));
  }
  return { spec, frames, labels: Int32Array.from(classOf) };
}
