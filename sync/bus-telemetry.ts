import '../capture/events.js';
import '../inference/bus-events.js';
import type { SourceStatus } from '../capture/index.js';
import type { EventBus } from '../daemon/bus.js';
import type { TelemetrySources } from './telemetry.js';

const OWNER = 'sync-telemetry';
const LATENCY_SAMPLES = 512;

/**
 * Telemetry inputs from the daemon bus: the latest status of each capture source and a
 * window of recent inference latencies. Listening is cheap (a map write, a ring-buffer write).
 */
export class BusTelemetry implements TelemetrySources {
  private readonly statuses = new Map<string, SourceStatus>();
  private readonly latencies = new Float64Array(LATENCY_SAMPLES);
  private count = 0;

  constructor(private readonly bus: EventBus) {}

  start(): void {
    this.bus.on('capture.source_status', OWNER, (s) => this.statuses.set(s.source, s));
    this.bus.on('inference.frame', OWNER, (r) => {
      this.latencies[this.count % LATENCY_SAMPLES] = r.latencyMs;
      this.count += 1;
    });
  }

  stop(): void {
    this.bus.removeOwner(OWNER);
  }

  sources = (): SourceStatus[] => [...this.statuses.values()];

  inferenceLatencyMs = (): { p50: number; p95: number } | undefined => {
    const n = Math.min(this.count, LATENCY_SAMPLES);
    if (n === 0) return undefined;
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
    const at = (q: number) => Math.round(sorted[Math.min(n - 1, Math.floor(q * n))]! * 10) / 10;
    return { p50: at(0.5), p95: at(0.95) };
  };
}
