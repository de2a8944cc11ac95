/**
 * The live channel's messages (WebSocket at /api/live). On connect the client gets one
 * `snapshot`; then `delta`s as things change and a `heartbeat` every few seconds. Every
 * message carries `serverTimeMs` so displays tick timers locally from the server's clock.
 * Display-token clients get the same shapes with PHI fields (label, surgeon) left out.
 *
 * `seq` numbers the state: each delta is seq + 1 of the one before, a snapshot carries the
 * seq it reflects, a heartbeat the current seq without changing it. A client that sees a gap
 * (or a heartbeat seq ahead of its own) sends `{ "type": "resync" }` and gets a snapshot. A
 * delta's fields replace the client's whole field (arrays included). Authentication: the
 * session cookie, `Authorization: Bearer`, or `?token=<display token>`; pages from another
 * origin are refused.
 */

export interface LivePhase {
  id: string;
  displayName: string;
  color: string;
  startedAtMs: number;
  confidence: number;
}

export interface LiveSegment {
  phase: string;
  startedAtMs: number;
  endedAtMs: number | null;
}

export interface LiveSource {
  name: string;
  role: 'endoscope' | 'room';
  state: string;
  outOfBody: boolean;
  recording: boolean;
  fpsIn: number;
}

export interface LivePrediction {
  /** Expected end of the current phase, ms since epoch. */
  phaseEndMs: number | null;
  /** Expected end of the case, ms since epoch. */
  caseEndMs: number | null;
  basis: 'history' | 'model' | 'none';
  /** Predicted remaining phases, in order, for the timeline bar. */
  remaining: Array<{ phase: string; expectedDurationMs: number }>;
}

export interface LiveCase {
  id: string;
  procedure: string;
  startedAtMs: number;
  /** PHI: omitted for display tokens. */
  label?: string;
  surgeonId?: string;
}

export interface LiveState {
  room: string;
  case: LiveCase | null;
  phase: LivePhase | null;
  outOfBody: boolean;
  segments: LiveSegment[];
  sources: LiveSource[];
  prediction: LivePrediction | null;
  phases: Array<{ id: string; displayName: string; color: string }>;
  modelVersion: string | null;
}

export type LiveMessage =
  | { type: 'snapshot'; serverTimeMs: number; seq: number; state: LiveState }
  | { type: 'delta'; serverTimeMs: number; seq: number; changes: Partial<LiveState> }
  | { type: 'heartbeat'; serverTimeMs: number; seq: number };

/**
 * What a client may send: `resync` asks for a fresh snapshot (e.g. after a gap in `seq`).
 * Anything else is ignored.
 */
export type LiveClientMessage = { type: 'resync' };

/** WebSocket close codes the server uses. */
export const LIVE_CLOSE = {
  /** Server shutting down: reconnect with back-off. */
  goingAway: 1001,
  /** Too many clients: try again later. */
  tryAgainLater: 1013,
  /** The client fell too far behind: reconnect (and get a snapshot). */
  tooSlow: 4008,
} as const;
