import { writeFileSync } from 'node:fs';
import { buildLabels, type CaseLabels, planOutOfBody, planSegments } from './case-script.js';
import { VideoEncoder } from './encoder.js';
import { planPresence } from './instruments.js';
import { SurgicalRenderer } from './renderer.js';
import { Rng } from './rng.js';

export interface GenerateOptions {
  seed: number;
  minutes: number;
  out: string;
  width?: number;
  height?: number;
  fps?: number;
  /** x264 quantizer, 0-51 (default 24). */
  quantizer?: number;
  /** Internal drawing height; frames are drawn small and scaled up by GStreamer. */
  drawHeight?: number;
}

export interface GenerateResult {
  videoPath: string;
  labelsPath: string;
  labels: CaseLabels;
  frames: number;
  durationMs: number;
}

export function labelsPathFor(videoPath: string): string {
  return videoPath.replace(/\.[^./]+$/, '') + '.labels.json';
}

/** Builds the case plan (segments, out-of-body spans, instruments) for a seed. */
export function planCase(seed: number, totalS: number, drawWidth: number, drawHeight: number) {
  const rng = new Rng(seed);
  const segments = planSegments(rng.fork(1), totalS);
  const outOfBody = planOutOfBody(rng.fork(2), segments, totalS);
  const tracks = planPresence(rng.fork(3), segments, totalS);
  const renderer = new SurgicalRenderer(rng.fork(4), drawWidth, drawHeight, segments, outOfBody, tracks);
  renderer.prepare();
  return { segments, outOfBody, renderer };
}

/**
 * Writes a synthetic laparoscopic cholecystectomy: FILE.mp4 (H.264) and FILE.labels.json
 * (ground truth). Deterministic from the seed.
 */
export async function generateSurgicalVideo(o: GenerateOptions): Promise<GenerateResult> {
  const t0 = performance.now();
  const width = o.width ?? 640;
  const height = o.height ?? 480;
  const fps = o.fps ?? 25;
  const drawHeight = Math.min(o.drawHeight ?? 120, height);
  const drawWidth = Math.max(16, Math.round((drawHeight * width) / height / 4) * 4);
  const totalS = Math.round(o.minutes * 60 * 1000) / 1000;
  const { segments, outOfBody, renderer } = planCase(o.seed, totalS, drawWidth, drawHeight);
  const encoder = new VideoEncoder({
    drawWidth,
    drawHeight,
    width,
    height,
    fps,
    quantizer: o.quantizer ?? 24,
    out: o.out,
  });
  encoder.start();
  const frames = Math.round(totalS * fps);
  try {
    // Two buffers: one is being written to the pipe while the next is drawn.
    const buffers = [new Uint8Array(drawWidth * drawHeight * 3), new Uint8Array(drawWidth * drawHeight * 3)];
    for (let i = 0; i < frames; i++) {
      const buf = buffers[i % 2]!;
      renderer.render(i / fps, buf);
      await encoder.write(Buffer.from(buf));
    }
    await encoder.finish();
  } catch (err) {
    encoder.kill();
    throw err;
  }
  const labels = buildLabels(o.seed, fps, totalS, segments, outOfBody);
  const labelsPath = labelsPathFor(o.out);
  writeFileSync(labelsPath, `${JSON.stringify(labels, null, 1)}\n`);
  return { videoPath: o.out, labelsPath, labels, frames, durationMs: performance.now() - t0 };
}
