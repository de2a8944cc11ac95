/**
 * Inference benchmark: `npm run --silent bench -- inference --json [--frames N] [--batch N] [--minutes M]`
 *
 * For each TF.js backend that can start here, with the demo model: per-frame latency p50/p99
 * (worker inference time, and end-to-end through the runtime) and throughput at batch 1 and
 * batch N (N sources with a frame ready at once). Baseline in the same run: the plain-JS cpu
 * backend. Then replay's real-time factor (video seconds per wall second) on a generated
 * 720p30 case, against decoding alone (the floor set by GStreamer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import { DEMO_MODEL_DIR } from '../../inference/models.js';
import { replayVideo } from '../../inference/replay.js';
import { BACKEND_CHAIN, type BackendName } from '../../inference/runtime/backend.js';
import { type ClassifiedFrame, InferenceRuntime } from '../../inference/runtime/inference-runtime.js';
import { generateSurgicalVideo } from '../../inference/sim/generate.js';
import { decodeAnalysisFrames } from '../../inference/video/analysis-decoder.js';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 1000) / 1000;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

async function benchBackend(backend: BackendName, frames: number, batch: number) {
  const results: ClassifiedFrame[] = [];
  const rt = new InferenceRuntime(
    {
      modelDir: DEMO_MODEL_DIR,
      backend,
      maxBatch: batch,
      queuePerSource: 4,
      warmupRuns: 5,
      startTimeoutMs: 120_000,
      batchTimeoutMs: 15_000,
      restartBackoffMs: 1000,
      restartBackoffMaxMs: 1000,
      latencyWindow: frames * batch,
    },
    pino({ level: 'silent' }),
    (r) => results.push(r),
  );
  await rt.start();
  const m0 = rt.metrics();
  if (m0.backend !== backend) {
    await rt.stop();
    return {
      available: false,
      reason: m0.backendAttempts.find((a) => a.backend === backend)?.reason ?? 'not chosen',
    };
  }
  const model = rt.model!;
  const size = model.inputWidth * model.inputHeight * 3;
  const pixels = (k: number) => {
    const d = new Uint8Array(size);
    for (let i = 0; i < size; i++) d[i] = (i * 31 + k * 17) & 255;
    return d;
  };
  const run = async (n: number, sources: number) => {
    const start = results.length;
    const inferMs: number[] = [];
    const e2eMs: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const before = results.length;
      const tb = performance.now();
      for (let s = 0; s < sources; s++) {
        rt.submit({
          source: `s${s}`,
          seq: i,
          tsMs: i * 200,
          width: model.inputWidth,
          height: model.inputHeight,
          data: pixels(i + s),
        });
      }
      await rt.drain();
      const batchMs = performance.now() - tb;
      inferMs.push(batchMs / sources);
      for (const r of results.slice(before)) e2eMs.push(r.latencyMs);
    }
    const wallS = (performance.now() - t0) / 1000;
    return {
      framesPerBatch: sources,
      perFrameP50Ms: pct(inferMs, 50),
      perFrameP99Ms: pct(inferMs, 99),
      endToEndP50Ms: pct(e2eMs, 50),
      endToEndP99Ms: pct(e2eMs, 99),
      throughputFps: r2((results.length - start) / wallS),
    };
  };
  const batch1 = await run(frames, 1);
  const batchN = await run(Math.ceil(frames / 2), batch);
  const workerInfer = rt.metrics();
  await rt.stop();
  return {
    available: true,
    reason: m0.backendAttempts.at(-1)!.reason,
    warmupMs: m0.warmupMs,
    batch1,
    batchN,
    workerInferPerFrameP50Ms: workerInfer.inferPerFrameP50Ms,
    workerInferPerFrameP99Ms: workerInfer.inferPerFrameP99Ms,
  };
}

export async function run(args: string[]): Promise<unknown> {
  const frames = arg(args, 'frames', 500);
  const batch = arg(args, 'batch', 8);
  const minutes = arg(args, 'minutes', 2);
  const backends: Record<string, unknown> = {};
  for (const b of BACKEND_CHAIN) backends[b] = await benchBackend(b, frames, batch);
  const cpu = backends.cpu as { batch1?: { perFrameP50Ms: number } };
  const wasm = backends.wasm as {
    available: boolean;
    batch1?: { perFrameP50Ms: number; perFrameP99Ms: number };
  };

  const dir = mkdtempSync(join(tmpdir(), 'orsight-bench-'));
  try {
    const video = join(dir, 'case-720p30.mp4');
    const g = await generateSurgicalVideo({
      seed: 777,
      minutes,
      out: video,
      width: 1280,
      height: 720,
      fps: 30,
      drawHeight: 180,
    });
    const config = loadConfig({ env: {} });
    const { analysis_width: width, analysis_height: height, analysis_fps: fps } = config.capture;
    const td = performance.now();
    let decoded = 0;
    for await (const _ of decodeAnalysisFrames({ path: video, source: 'bench', width, height, fps }))
      decoded++;
    const decodeS = (performance.now() - td) / 1000;
    const r = await replayVideo({ video, modelDir: DEMO_MODEL_DIR, config, log: pino({ level: 'silent' }) });
    return {
      model: DEMO_MODEL_DIR.split('/').slice(-1)[0],
      frames,
      batch,
      backends,
      wasmP99TargetMs: 10,
      wasmP99MeetsTarget: wasm.available ? (wasm.batch1?.perFrameP99Ms ?? Infinity) <= 10 : null,
      wasmSpeedupVsCpuP50:
        wasm.batch1 && cpu.batch1 ? r2(cpu.batch1.perFrameP50Ms / wasm.batch1.perFrameP50Ms) : null,
      replay720p30: {
        videoS: g.labels.durationS,
        generateWallS: r2(g.durationMs / 1000),
        analysisFrames: r.frames.length,
        backend: r.model.backend,
        realTimeFactor: r2(r.realTimeFactor),
        decodeOnlyRealTimeFactor: r2(g.labels.durationS / decodeS),
        decodeOnlyFrames: decoded,
        replayVsDecodeOnly: r2(r.realTimeFactor / (g.labels.durationS / decodeS)),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
