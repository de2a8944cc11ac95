import type { PhaseSegment, TimeSpan } from './case-script.js';
import { CHOLEC_PHASES } from './cholec.js';
import {
  type Canvas,
  clamp,
  drawCapsule,
  drawEllipse,
  INSTRUMENTS,
  PRESENCE_HZ,
  type PresenceTrack,
} from './instruments.js';
import { fractalNoise } from './noise-field.js';
import type { Rng } from './rng.js';

type Rgb = [number, number, number];
const LIVER: Rgb = [105, 38, 32];
const LIVER_DARK: Rgb = [78, 24, 22];
const FAT: Rgb = [212, 178, 92];
const FAT_PALE: Rgb = [226, 202, 134];
const GB: Rgb = [102, 134, 60];
const GB_PALE: Rgb = [142, 160, 92];
const DUCT: Rgb = [226, 196, 180];
const BED: Rgb = [168, 62, 50];
const WALL: Rgb = [206, 132, 118];
const BLOOD: Rgb = [112, 8, 12];
const TROCAR: Rgb = [58, 52, 54];

/**
 * Tissue colour along the large-scale layout field, per phase (Cholec80 order). Neighbouring
 * phases share materials, so colour alone is often not enough to tell them apart.
 */
const PALETTES: ReadonlyArray<ReadonlyArray<[number, Rgb]>> = [
  // preparation: liver edge, omentum and abdominal wall, fat still covering everything
  [
    [0, LIVER],
    [0.25, LIVER],
    [0.35, WALL],
    [0.6, WALL],
    [0.7, FAT_PALE],
    [1, FAT_PALE],
  ],
  // Calot triangle dissection: yellow fat opened, white duct and artery exposed
  [
    [0, LIVER],
    [0.2, LIVER],
    [0.3, FAT],
    [0.5, DUCT],
    [0.62, FAT],
    [0.85, FAT],
    [1, GB_PALE],
  ],
  // clipping and cutting: the duct and artery fill the view
  [
    [0, LIVER],
    [0.2, LIVER],
    [0.3, DUCT],
    [0.58, DUCT],
    [0.7, FAT],
    [1, GB_PALE],
  ],
  // gallbladder dissection: green gallbladder lifted off the raw liver bed
  [
    [0, LIVER],
    [0.25, BED],
    [0.45, BED],
    [0.55, GB],
    [0.9, GB_PALE],
    [1, FAT],
  ],
  // packaging: the freed gallbladder lies on the liver, next to the bag
  [
    [0, LIVER],
    [0.3, LIVER],
    [0.4, BED],
    [0.62, BED],
    [0.72, GB],
    [1, GB],
  ],
  // cleaning and coagulation: raw bed, blood, darker liver
  [
    [0, LIVER_DARK],
    [0.3, LIVER],
    [0.45, BED],
    [1, BED],
  ],
  // retraction: the bag is pulled into the dark trocar channel past the abdominal wall
  [
    [0, LIVER],
    [0.2, BED],
    [0.35, WALL],
    [0.6, WALL],
    [0.72, TROCAR],
    [1, TROCAR],
  ],
];
/** Blood coverage threshold per phase on the blood field (1 = none). */
const BLOOD_THRESHOLD = [1, 0.86, 0.9, 0.8, 0.9, 0.62, 0.92];
/** Baseline smoke per phase (cautery), on top of bursts from hook and bipolar. */
const SMOKE_BASE = [0, 0.12, 0.03, 0.15, 0.02, 0.18, 0];

const TEX = 256;
const CROSSFADE_S = 2;
/** Texels of the layout field across the view's width at zoom 1. */
const VIEW_TEXELS = 150;
/** Places tried for each phase's camera centre (framedCenters). */
const FRAMING_CANDIDATES = 25;
/** RGB distance above which two phases colour a place differently. */
const FRAMING_COLOUR_DISTANCE = 40;

/**
 * Draws the frames of one generated case: an endoscopic view (circular field, vignetting,
 * tissue texture, specular highlights, camera framing, drift and breathing, smoke, bleeding,
 * sensor noise) with phase-dependent anatomy and instruments, and a bright room scene while the
 * camera is out of the body. Pure function of (seed, time): frames can be drawn in any order.
 */
export class SurgicalRenderer {
  private fields:
    | {
        layout: Float32Array;
        specular: Float32Array;
        detail: Float32Array;
        smoke: Float32Array;
        blood: Float32Array;
      }
    | undefined;
  private luts: Uint8Array[] = [];
  private mask = new Float32Array(0);
  private noise = new Int8Array(0);
  private centers: Array<{ x: number; y: number }> = [];
  private cam = { p1: 0, p2: 0, p3: 0, p4: 0 };
  private clipCenter = { x: 0, y: 0 };

  constructor(
    private readonly rng: Rng,
    readonly width: number,
    readonly height: number,
    private readonly segments: readonly PhaseSegment[],
    private readonly outOfBody: readonly TimeSpan[],
    private readonly tracks: readonly PresenceTrack[],
  ) {}

  /** Precomputes the noise fields, palettes and the optics mask. */
  prepare(): void {
    const r = this.rng;
    this.fields = {
      layout: fractalNoise(r.fork(11), TEX, 4, 3, 0.45),
      specular: fractalNoise(r.fork(12), TEX, 16, 2, 0.5),
      detail: fractalNoise(r.fork(13), TEX, 32, 3, 0.6),
      smoke: fractalNoise(r.fork(14), TEX, 4, 4, 0.55),
      blood: fractalNoise(r.fork(15), TEX, 8, 3, 0.5),
    };
    this.luts = PALETTES.map(buildLut);
    const { width: w, height: h } = this;
    this.mask = new Float32Array(w * h);
    const radius = 0.55 * h;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const d = Math.hypot(x + 0.5 - w / 2, y + 0.5 - h / 2);
        const edge = clamp01((radius - d) / 1.5);
        const vignette = 1 - 0.5 * (d / radius) ** 2;
        this.mask[y * w + x] = edge * vignette;
      }
    }
    const nr = r.fork(16);
    this.noise = new Int8Array(1 << 16);
    for (let i = 0; i < this.noise.length; i++) this.noise[i] = Math.round(nr.normal() * 5);
    const cr = r.fork(17);
    const random = CHOLEC_PHASES.map(() => ({ x: cr.range(0, TEX), y: cr.range(0, TEX) }));
    this.centers = this.framedCenters(random, r.fork(18));
    this.cam = { p1: cr.range(0, 6.28), p2: cr.range(0, 6.28), p3: cr.range(0, 6.28), p4: cr.range(0, 6.28) };
    this.clipCenter = {
      x: this.centers[2]!.x + cr.range(-10, 10),
      y: this.centers[2]!.y + cr.range(-10, 10),
    };
  }

  /**
   * Where the camera looks during each phase. A camera assistant keeps the work in view, so
   * each phase gets the best of FRAMING_CANDIDATES places on the layout field (the first is
   * `random[p]`, the rest drawn from `rng`): the one where the largest share of the view is
   * coloured unlike every other phase would colour the same place. Drift, breathing and zoom
   * still move the view around it, so the other phases' colours still come and go.
   */
  private framedCenters(
    random: ReadonlyArray<{ x: number; y: number }>,
    rng: Rng,
  ): Array<{ x: number; y: number }> {
    const layout = this.fields!.layout;
    const halfW = VIEW_TEXELS / 2;
    const halfH = (halfW * this.height) / this.width;
    const radius = (0.55 * this.height * VIEW_TEXELS) / this.width;
    const offsets: Array<[number, number]> = [];
    for (let dy = -halfH; dy <= halfH; dy += 4) {
      for (let dx = -halfW; dx <= halfW; dx += 4) if (Math.hypot(dx, dy) < radius) offsets.push([dx, dy]);
    }
    const unlike = (p: number, q: number) => {
      const a = this.luts[p]!;
      const b = this.luts[q]!;
      const far = new Uint8Array(256);
      for (let v = 0; v < 256; v++) {
        const d = Math.hypot(
          a[v * 3]! - b[v * 3]!,
          a[v * 3 + 1]! - b[v * 3 + 1]!,
          a[v * 3 + 2]! - b[v * 3 + 2]!,
        );
        far[v] = d > FRAMING_COLOUR_DISTANCE ? 1 : 0;
      }
      return far;
    };
    return random.map((first, p) => {
      const others = CHOLEC_PHASES.map((_, q) => q).filter((q) => q !== p);
      const far = others.map((q) => unlike(p, q));
      const score = (c: { x: number; y: number }) => {
        let n = 0;
        for (const [dx, dy] of offsets) {
          const u = (c.x + dx) & (TEX - 1);
          const v = (c.y + dy) & (TEX - 1);
          const q = (layout[v * TEX + u]! * 255) | 0;
          if (far.every((f) => f[q] === 1)) n++;
        }
        return n / offsets.length;
      };
      let best = first;
      let bestScore = score(first);
      for (let k = 1; k < FRAMING_CANDIDATES; k++) {
        const c = { x: rng.range(0, TEX), y: rng.range(0, TEX) };
        const sc = score(c);
        if (sc > bestScore) [best, bestScore] = [c, sc];
      }
      return best;
    });
  }

  /** Draws the frame at tS seconds into out (width*height*3 RGB bytes). */
  render(tS: number, out: Uint8Array): void {
    const canvas: Canvas = { width: this.width, height: this.height, data: out };
    const oob = this.outOfBody.find((s) => tS >= s.startS && tS < s.endS);
    if (oob && tS - oob.startS > 0.5 && oob.endS - tS > 0.5) {
      this.drawRoom(tS, canvas);
    } else {
      this.drawTissue(tS, canvas, oob ? 0.12 : 1);
      if (!oob) this.drawInstruments(tS, canvas);
    }
    this.finish(tS, canvas, Boolean(oob));
  }

  private segmentAt(tS: number): number {
    for (let i = 0; i < this.segments.length; i++) if (tS < this.segments[i]!.endS) return i;
    return this.segments.length - 1;
  }

  private phaseIndex(seg: number): number {
    return CHOLEC_PHASES.findIndex((p) => p.id === this.segments[seg]!.phase);
  }

  private camera(tS: number): { cx: number; cy: number; scale: number; gain: number } {
    const seg = this.segmentAt(tS);
    const p = this.phaseIndex(seg);
    const since = tS - this.segments[seg]!.startS;
    const prev = seg > 0 ? this.phaseIndex(seg - 1) : p;
    const ease = clamp01(since / 4);
    const a = this.centers[prev]!;
    const b = this.centers[p]!;
    const { p1, p2, p3, p4 } = this.cam;
    const cx = a.x + (b.x - a.x) * ease + 22 * Math.sin(0.07 * tS + p1) + 9 * Math.sin(0.23 * tS + p2);
    const cy =
      a.y +
      (b.y - a.y) * ease +
      18 * Math.sin(0.05 * tS + p3) +
      7 * Math.sin(0.31 * tS + p4) +
      1.5 * Math.sin(1.6 * tS);
    const zoom = 1 + 0.25 * Math.sin(0.043 * tS + p2) + 0.1 * Math.sin(0.17 * tS + p3);
    return { cx, cy, scale: (VIEW_TEXELS / this.width) * zoom, gain: 0.95 + 0.25 * (1 - zoom) };
  }

  private drawTissue(tS: number, c: Canvas, dim: number): void {
    const f = this.fields!;
    const seg = this.segmentAt(tS);
    const p = this.phaseIndex(seg);
    const since = tS - this.segments[seg]!.startS;
    const prevP = seg > 0 ? this.phaseIndex(seg - 1) : p;
    const mix = prevP === p ? 1 : clamp01(since / CROSSFADE_S);
    const lutA = this.luts[prevP]!;
    const lutB = this.luts[p]!;
    const bloodThr = BLOOD_THRESHOLD[prevP]! * (1 - mix) + BLOOD_THRESHOLD[p]! * mix;
    const { cx, cy, scale, gain } = this.camera(tS);
    const lightX = Math.round(6 * Math.sin(0.9 * tS));
    const lightY = Math.round(5 * Math.cos(0.7 * tS));
    const { width: w, height: h, data } = c;
    const g = gain * dim;
    for (let y = 0; y < h; y++) {
      const v = (cy + (y - h / 2) * scale) | 0;
      const row = (v & (TEX - 1)) * TEX;
      const rowL = ((v + lightY) & (TEX - 1)) * TEX;
      for (let x = 0; x < w; x++) {
        const u = (cx + (x - w / 2) * scale) | 0;
        const idx = row + (u & (TEX - 1));
        const q = ((f.layout[idx]! * 255) | 0) * 3;
        let r = lutA[q]! + (lutB[q]! - lutA[q]!) * mix;
        let gg = lutA[q + 1]! + (lutB[q + 1]! - lutA[q + 1]!) * mix;
        let b = lutA[q + 2]! + (lutB[q + 2]! - lutA[q + 2]!) * mix;
        const shade = (0.72 + 0.56 * f.detail[idx]!) * g;
        r *= shade;
        gg *= shade;
        b *= shade;
        const bl = f.blood[idx]!;
        if (bl > bloodThr) {
          const k = Math.min(1, (bl - bloodThr) * 12);
          r += (BLOOD[0] - r) * k;
          gg += (BLOOD[1] - gg) * k;
          b += (BLOOD[2] - b) * k;
        }
        const s = f.specular[rowL + ((u + lightX) & (TEX - 1))]!;
        if (s > 0.86) {
          const k = Math.min(1, (s - 0.86) * 12) * dim;
          r += (255 - r) * k;
          gg += (255 - gg) * k;
          b += (250 - b) * k;
        }
        // Shading can lift bright tissue (fat, duct) above 255: clamp, or the byte wraps to a
        // dark teal speck.
        const o = (y * w + x) * 3;
        data[o] = Math.min(r, 255);
        data[o + 1] = Math.min(gg, 255);
        data[o + 2] = Math.min(b, 255);
      }
    }
    // Clips stay on the cystic duct once they are applied.
    const clipSeg = this.segments.findIndex((s) => s.phase === 'clipping_cutting');
    if (clipSeg >= 0 && seg >= clipSeg) {
      const clipStart = this.segments[clipSeg]!.startS;
      const clipLen = this.segments[clipSeg]!.endS - clipStart;
      const n = seg === clipSeg ? Math.min(3, Math.floor(((tS - clipStart) / clipLen) * 4)) : 3;
      for (let k = 0; k < n; k++) {
        const u = this.clipCenter.x + k * 7;
        const v = this.clipCenter.y + k * 2;
        const sx = wrapDelta(u - cx) / scale + w / 2;
        const sy = wrapDelta(v - cy) / scale + h / 2;
        drawCapsule(c, sx - 1, sy - 3, sx + 1, sy + 3, Math.max(1.2, 0.012 * h), [200, 200, 205], dim);
      }
    }
  }

  private drawInstruments(tS: number, c: Canvas): void {
    const k = Math.min(Math.floor(tS * PRESENCE_HZ), this.tracks[0]!.present.length - 1);
    const { width: w, height: h } = c;
    for (const tr of this.tracks) {
      if (!tr.present[k]) continue;
      const look = INSTRUMENTS[tr.kind];
      const enter = clamp01((k - tr.runStart[k]!) / (0.8 * PRESENCE_HZ));
      const o = tr.orbit;
      const tx = o.cx + o.ax * Math.sin(o.w1 * tS + o.p1) + 0.4 * o.ax * Math.sin(o.w2 * tS + o.p2);
      const ty =
        o.cy + o.ay * Math.cos(o.w1 * 0.8 * tS + o.p2) + 0.4 * o.ay * Math.sin(o.w2 * 1.3 * tS + o.p1);
      const ex = tr.entry.x * w;
      const ey = tr.entry.y * h;
      const tipX = ex + (tx * w - ex) * enter;
      const tipY = ey + (ty * h - ey) * enter;
      const radius = (look.width * h) / 2;
      if (tr.kind === 'bag') {
        drawCapsule(c, ex, ey, tipX, tipY, 0.035 * h, [55, 55, 60]);
        drawEllipse(c, tipX, tipY, 0.24 * h, 0.17 * h, look.shaft, 0.88);
        continue;
      }
      drawCapsule(c, ex, ey, tipX, tipY, radius, look.shaft);
      const ang = Math.atan2(tipY - ey, tipX - ex);
      const jaw = (spread: number, len: number, rad: number) => {
        drawCapsule(
          c,
          tipX,
          tipY,
          tipX + Math.cos(ang + spread) * len * h,
          tipY + Math.sin(ang + spread) * len * h,
          rad,
          look.tip,
        );
      };
      switch (tr.kind) {
        case 'grasper':
          jaw(0.35, 0.07, radius * 0.45);
          jaw(-0.35, 0.07, radius * 0.45);
          break;
        case 'hook':
          jaw(0, 0.04, radius * 0.35);
          drawCapsule(
            c,
            tipX + Math.cos(ang) * 0.04 * h,
            tipY + Math.sin(ang) * 0.04 * h,
            tipX + Math.cos(ang) * 0.04 * h + Math.cos(ang + 1.57) * 0.04 * h,
            tipY + Math.sin(ang) * 0.04 * h + Math.sin(ang + 1.57) * 0.04 * h,
            radius * 0.35,
            look.tip,
          );
          break;
        case 'clipper':
          jaw(0.12, 0.08, radius * 0.7);
          jaw(-0.12, 0.08, radius * 0.7);
          break;
        case 'scissors':
          jaw(0.2, 0.09, radius * 0.4);
          jaw(-0.2, 0.09, radius * 0.4);
          break;
        case 'irrigator':
          jaw(0, 0.015, radius * 0.9);
          break;
        case 'bipolar':
          jaw(0.1, 0.08, radius * 0.3);
          jaw(-0.1, 0.08, radius * 0.3);
          break;
      }
    }
  }

  private drawRoom(tS: number, c: Canvas): void {
    const { width: w, height: h, data } = c;
    const sway = Math.sin(tS * 1.7) * 0.15 * w;
    // Operating-room lights and white walls: far brighter than anything inside the body.
    for (let y = 0; y < h; y++) {
      const t = y / h;
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        data[o] = 246 - 30 * t;
        data[o + 1] = 248 - 26 * t;
        data[o + 2] = 250 - 22 * t;
      }
    }
    drawEllipse(c, w * 0.5 + sway, h * 1.2, w * 0.6, h * 0.3, [90, 160, 125]);
    drawEllipse(c, w * 0.22 - sway * 0.6, h * 0.6, w * 0.1, h * 0.26, [120, 160, 215]);
    drawEllipse(c, w * 0.8 - sway * 0.4, h * 0.55, w * 0.09, h * 0.24, [115, 155, 210]);
    drawEllipse(c, w * 0.55 + sway * 0.8, h * 0.18, w * 0.2, h * 0.14, [255, 255, 245]);
  }

  /** Smoke, optics (circular field and vignetting) and sensor noise. */
  private finish(tS: number, c: Canvas, outOfBody: boolean): void {
    const f = this.fields!;
    const k = Math.min(Math.floor(tS * PRESENCE_HZ), this.tracks[0]!.present.length - 1);
    let smoke = 0;
    if (!outOfBody) {
      const p = this.phaseIndex(this.segmentAt(tS));
      smoke = SMOKE_BASE[p]!;
      for (const tr of this.tracks) smoke += 0.55 * tr.active[k]!;
      smoke = Math.min(0.8, smoke);
    }
    const { width: w, height: h, data } = c;
    const drift = (tS * 9) | 0;
    const noiseOffset = (Math.floor(tS * 1000) * 7919) & 0xffff;
    const mask = this.mask;
    const noise = this.noise;
    for (let y = 0; y < h; y++) {
      const row = ((y + drift) & (TEX - 1)) * TEX;
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const o = i * 3;
        const m = mask[i]!;
        if (m <= 0) {
          data[o] = data[o + 1] = data[o + 2] = 0;
          continue;
        }
        let r = data[o]!;
        let g = data[o + 1]!;
        let b = data[o + 2]!;
        if (smoke > 0) {
          const a = smoke * f.smoke[row + ((x + drift) & (TEX - 1))]! * 1.3;
          const aa = Math.min(a, 0.9);
          r += (192 - r) * aa;
          g += (190 - g) * aa;
          b += (186 - b) * aa;
        }
        const n = noise[(i * 3 + noiseOffset) & 0xffff]!;
        data[o] = clamp(r * m + n);
        data[o + 1] = clamp(g * m + n);
        data[o + 2] = clamp(b * m + n);
      }
    }
  }
}

function buildLut(stops: ReadonlyArray<[number, Rgb]>): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let j = 0;
    while (j < stops.length - 2 && t > stops[j + 1]![0]) j++;
    const [t0, c0] = stops[j]!;
    const [t1, c1] = stops[j + 1]!;
    const k = t1 > t0 ? clamp01((t - t0) / (t1 - t0)) : 0;
    for (let ch = 0; ch < 3; ch++) lut[i * 3 + ch] = Math.round(c0[ch]! + (c1[ch]! - c0[ch]!) * k);
  }
  return lut;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : Math.min(v, 1);
}

/** Shortest signed distance on the wrapping texture. */
function wrapDelta(d: number): number {
  const m = ((d % TEX) + TEX) % TEX;
  return m > TEX / 2 ? m - TEX : m;
}
