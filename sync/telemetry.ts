import { statfs } from 'node:fs/promises';
import si from 'systeminformation';
import type { SourceStatus } from '../capture/index.js';
import type { TelemetryMessage } from './messages.js';
import type { OutboxStats } from './outbox.js';

/** What the other parts expose for telemetry; the daemon wires these in. */
export interface TelemetrySources {
  sources?: () => SourceStatus[];
  /** Recent inference latency (ms), p50/p95, when inference runs. */
  inferenceLatencyMs?: () => { p50: number; p95: number } | undefined;
}

export interface TelemetryInputs {
  startedAtMs: number;
  dataDir: string;
  outbox: () => OutboxStats;
  inFlight: () => number;
  link: () => { connected: boolean; reconnects: number };
  upload: () => { fileId: string; ackedBytes: number; sizeBytes: number } | undefined;
  counters: () => Record<string, number>;
}

/** Builds one telemetry message (systeminformation for the host, the parts for the rest). */
/** Telemetry: the validated core plus host and part details. */
export type Telemetry = TelemetryMessage & Record<string, unknown>;

export async function collectTelemetry(inputs: TelemetryInputs, parts: TelemetrySources): Promise<Telemetry> {
  const [load, mem, gpus, disk] = await Promise.all([
    si.currentLoad().catch(() => undefined),
    si.mem().catch(() => undefined),
    si.graphics().catch(() => undefined),
    statfs(inputs.dataDir).catch(() => undefined),
  ]);
  const stats = inputs.outbox();
  const nowMs = Date.now();
  const t: Telemetry = {
    v: 1,
    atMs: nowMs,
    uptimeS: Math.round((nowMs - inputs.startedAtMs) / 1000),
    cpu: load ? { loadPct: round(load.currentLoad), cores: load.cpus.length } : null,
    memory: mem ? { totalBytes: mem.total, usedBytes: mem.active, availableBytes: mem.available } : null,
    gpus: (gpus?.controllers ?? [])
      .filter(
        (g) => g.utilizationGpu !== undefined || g.temperatureGpu !== undefined || g.memoryUsed !== undefined,
      )
      .map((g) => ({
        model: g.model,
        utilizationPct: g.utilizationGpu ?? null,
        temperatureC: g.temperatureGpu ?? null,
        memoryUsedMb: g.memoryUsed ?? null,
        memoryTotalMb: g.memoryTotal ?? null,
      })),
    disk: disk ? { freeBytes: disk.bavail * disk.bsize, totalBytes: disk.blocks * disk.bsize } : null,
    sources: (parts.sources?.() ?? []).map((s) => ({
      name: s.source,
      state: s.state,
      fpsIn: s.fpsIn,
      fpsOut: s.fpsOut,
      framesDropped: s.framesDropped,
      restarts: s.restarts,
      recording: s.recording,
    })),
    inferenceLatencyMs: parts.inferenceLatencyMs?.() ?? null,
    outbox: {
      pending: stats.pending,
      pendingRecords: stats.pendingRecords,
      pendingFiles: stats.pendingFiles,
      inFlight: inputs.inFlight(),
      oldestPendingAgeS:
        stats.oldestPendingAtMs === null ? null : Math.round((nowMs - stats.oldestPendingAtMs) / 1000),
      lastAckAtMs: stats.lastAckAtMs,
      acked: stats.acked,
      dropped: stats.dropped,
      casesSynced: stats.casesSynced,
    },
    upload: inputs.upload() ?? null,
    link: inputs.link(),
    counters: inputs.counters(),
  };
  return t;
}

const round = (n: number) => Math.round(n * 10) / 10;
