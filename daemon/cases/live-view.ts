import type { SourceStatus } from '../../capture/index.js';
import type { ModelInfo } from '../../inference/index.js';
import type { LiveSource, LiveState } from '../../ui/live-types.js';
import type { CaseDurations } from './predictions.js';
import { predict } from './predictions.js';
import type { CaseRecord, CorrectionRecord, SegmentRecord } from './records.js';
import { effectiveSegments } from './timeline.js';

const DEFAULT_COLOR = '#8a8f98';

/** The phase the model reports now (kept across a restart from the running segment). */
export interface DetectedPhase {
  phase: string;
  startedAtMs: number;
  confidence: number;
  modelVersion: string | null;
}

export interface LiveViewInput {
  nowMs: number;
  openCase: CaseRecord | null;
  segments: readonly SegmentRecord[];
  corrections: readonly CorrectionRecord[];
  detected: DetectedPhase | null;
  outOfBody: ReadonlySet<string>;
  sources: ReadonlyMap<string, SourceStatus>;
  model: ModelInfo | null;
  isEndoscope: (source: string) => boolean;
  /** This room's completed cases of a procedure, for predictions. */
  history: (procedure: string) => CaseDurations[];
  minHistory: number;
}

/** The room's live state (all but the room name) from the case engine's state. */
export function liveView(i: LiveViewInput): Omit<LiveState, 'room'> {
  const phases = i.model?.phases ?? [];
  const info = (id: string) => phases.find((p) => p.id === id);
  const eff = effectiveSegments(i.segments, i.corrections);
  const c = i.openCase;
  const sources: LiveSource[] = [...i.sources.values()]
    .sort((a, b) => a.source.localeCompare(b.source))
    .map((s) => ({
      name: s.source,
      role: i.isEndoscope(s.source) ? 'endoscope' : 'room',
      state: s.state,
      outOfBody: i.outOfBody.has(s.source),
      recording: s.recording,
      fpsIn: Math.round(s.fpsIn * 10) / 10,
    }));
  const d = i.detected;
  const running = eff.find((s) => s.endedAtMs === null);
  return {
    case: c
      ? {
          id: c.id,
          procedure: c.procedure,
          startedAtMs: c.startedAtMs,
          ...(c.label ? { label: c.label } : {}),
          ...(c.surgeonId ? { surgeonId: c.surgeonId } : {}),
        }
      : null,
    phase: d
      ? {
          id: d.phase,
          displayName: info(d.phase)?.displayName ?? d.phase,
          color: info(d.phase)?.color ?? DEFAULT_COLOR,
          startedAtMs: d.startedAtMs,
          confidence: d.confidence,
        }
      : null,
    outOfBody: [...i.outOfBody].some((s) => i.isEndoscope(s)),
    segments: eff.map((s) => ({ phase: s.phase, startedAtMs: s.startedAtMs, endedAtMs: s.endedAtMs })),
    sources,
    prediction: c
      ? predict({
          nowMs: i.nowMs,
          current: running ? { phase: running.phase, startedAtMs: running.startedAtMs } : null,
          visited: new Set(eff.map((s) => s.phase)),
          phaseOrder: phases.map((p) => p.id),
          typicalMs: new Map(phases.map((p) => [p.id, p.typicalDurationS * 1000])),
          history: i.history(c.procedure),
          minHistory: i.minHistory,
        })
      : null,
    phases: phases.map((p) => ({ id: p.id, displayName: p.displayName, color: p.color })),
    modelVersion: i.model?.version ?? null,
  };
}
