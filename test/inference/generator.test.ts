import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaseLabels } from '../../inference/sim/case-script.js';
import { planOutOfBody, planSegments } from '../../inference/sim/case-script.js';
import { CHOLEC_PHASES, CHOLEC_TRANSITIONS } from '../../inference/sim/cholec.js';
import { Rng } from '../../inference/sim/rng.js';
import { decodeAnalysisFrames } from '../../inference/video/analysis-decoder.js';
import { runCli } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('orsight-sim-');

describe('synthetic surgical case plan', () => {
  it('follows the phase grammar, covers the whole video and varies with the seed', () => {
    const orders = new Set<string>();
    let returns = 0;
    for (let seed = 0; seed < 60; seed++) {
      const totalS = 180 + seed * 10;
      const segs = planSegments(new Rng(seed).fork(1), totalS);
      expect(segs[0]!.phase).toBe('preparation');
      expect(segs.at(-1)!.phase).toBe('gallbladder_retraction');
      expect(segs[0]!.startS).toBe(0);
      expect(segs.at(-1)!.endS).toBeCloseTo(totalS, 3);
      for (let i = 1; i < segs.length; i++) {
        expect(segs[i]!.startS).toBe(segs[i - 1]!.endS);
        expect(CHOLEC_TRANSITIONS[segs[i - 1]!.phase]).toContain(segs[i]!.phase);
        expect(segs[i]!.endS - segs[i]!.startS).toBeGreaterThanOrEqual(7.99);
      }
      const seen = new Set<string>();
      for (const s of segs) {
        if (seen.has(s.phase)) returns++;
        seen.add(s.phase);
      }
      // Cleaning and coagulation is optional; every other phase happens.
      expect(new Set(segs.map((s) => s.phase)).size).toBeGreaterThanOrEqual(6);
      orders.add(segs.map((s) => s.phase).join(','));
      const oob = planOutOfBody(new Rng(seed).fork(2), segs, totalS);
      expect(oob.length).toBeGreaterThanOrEqual(1);
      for (const span of oob) {
        // Inside one phase, away from its boundaries.
        const seg = segs.find((s) => span.startS >= s.startS && span.startS < s.endS)!;
        expect(span.endS).toBeLessThanOrEqual(seg.endS - 5 + 1e-6);
      }
    }
    expect(orders.size).toBeGreaterThan(3);
    expect(returns).toBeGreaterThan(5);
  });
});

describe('orsight sim generate', () => {
  it('writes an H.264 MP4 and labels, identical for the same seed, different for another', async () => {
    const a = join(dir, 'a.mp4');
    const b = join(dir, 'b.mp4');
    const c = join(dir, 'c.mp4');
    const args = (out: string, seed: number) => [
      'sim',
      'generate',
      '--seed',
      String(seed),
      '--minutes',
      '0.5',
      '--out',
      out,
      '--width',
      '320',
      '--height',
      '240',
      '--json',
    ];
    const ra = runCli(args(a, 42));
    expect(ra.stderr).toBe('');
    expect(ra.code).toBe(0);
    const summary = JSON.parse(ra.stdout) as { frames: number; durationS: number; labels: string };
    expect(summary.frames).toBe(750);
    expect(summary.durationS).toBe(30);
    expect(runCli(args(b, 42)).code).toBe(0);
    expect(runCli(args(c, 43)).code).toBe(0);
    // mp4mux stamps the creation time into the header, so compare what a decoder sees.
    const decoded = async (path: string) => {
      const h = createHash('sha256');
      for await (const f of decodeAnalysisFrames({ path, source: 'sim', width: 64, height: 64, fps: 5 }))
        h.update(f.data);
      return h.digest('hex');
    };
    expect(await decoded(a)).toBe(await decoded(b));
    expect(await decoded(a)).not.toBe(await decoded(c));
    const labels = JSON.parse(readFileSync(summary.labels, 'utf8')) as CaseLabels;
    expect(labels.perSecond).toHaveLength(30);
    expect(labels.phases).toEqual(CHOLEC_PHASES.map((p) => p.id));
    expect(labels.perSecond.every((s) => labels.phases.includes(s.phase))).toBe(true);
    expect(statSync(a).size).toBeGreaterThan(10_000);

    // It is real video: GStreamer decodes it at the analysis size, and the out-of-body span is bright.
    const frames = [];
    for await (const f of decodeAnalysisFrames({ path: a, source: 'sim', width: 64, height: 64, fps: 5 }))
      frames.push(f);
    expect(frames.length).toBeGreaterThanOrEqual(149);
    expect(frames.length).toBeLessThanOrEqual(151);
    const mean = (d: Uint8Array) => d.reduce((s, v) => s + v, 0) / d.length;
    const span = labels.outOfBody[0]!;
    const inside = frames.filter((f) => f.tsMs / 1000 > span.startS + 1 && f.tsMs / 1000 < span.endS - 1);
    const outside = frames.filter((f) => f.tsMs / 1000 < span.startS - 1 || f.tsMs / 1000 > span.endS + 1);
    expect(inside.length).toBeGreaterThan(5);
    expect(Math.min(...inside.map((f) => mean(f.data)))).toBeGreaterThan(
      Math.max(...outside.map((f) => mean(f.data))),
    );
  });

  it('rejects bad arguments with exit code 2', () => {
    const r = runCli(['sim', 'generate', '--seed', 'x', '--minutes', '1', '--out', join(dir, 'x.mp4')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--seed must be an integer');
  });
});
