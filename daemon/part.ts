/** Health of one part, reported by /readyz and telemetry. */
export interface PartHealth {
  ok: boolean;
  /** Short machine-readable state, e.g. "live", "connecting", "degraded". */
  state: string;
  detail?: Record<string, unknown>;
}

/**
 * A part of the daemon (store, capture, inference, cases, http, sync…). A constructor
 * only assigns fields; work begins in start() and ends in stop().
 */
export interface Part {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): PartHealth;
}
