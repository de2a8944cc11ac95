import type { LiveState } from '../../live-types.js';
import { fallbackPhase, formatDuration } from '../shared/format.js';

interface Piece {
  phase: string;
  startMs: number;
  endMs: number;
  predicted: boolean;
}

/** Phases so far, then the predicted remainder (hatched), scaled to the case span. */
export function buildPieces(state: LiveState, now: number): Piece[] {
  const pieces: Piece[] = state.segments.map((s) => ({
    phase: s.phase,
    startMs: s.startedAtMs,
    endMs: s.endedAtMs ?? now,
    predicted: false,
  }));
  const prediction = state.prediction;
  if (!prediction) return pieces;
  let cursor = now;
  const current = state.phase;
  let rest = [...prediction.remaining];
  // A prediction made before the current phase began lists it (and what came before it) as
  // still to come: from the current phase on, the list is what remains.
  const at = current ? rest.findIndex((r) => r.phase === current.id) : -1;
  let currentEndMs = prediction.phaseEndMs;
  if (current && at >= 0) {
    currentEndMs ??=
      Math.max(current.startedAtMs, state.case?.startedAtMs ?? 0) + rest[at]!.expectedDurationMs;
    rest = rest.slice(at + 1);
  }
  if (current && currentEndMs && currentEndMs > now) {
    pieces.push({ phase: current.id, startMs: now, endMs: currentEndMs, predicted: true });
    cursor = currentEndMs;
  }
  for (const r of rest) {
    pieces.push({ phase: r.phase, startMs: cursor, endMs: cursor + r.expectedDurationMs, predicted: true });
    cursor += r.expectedDurationMs;
  }
  return pieces;
}

export function TimelineBar({ state, now }: { state: LiveState; now: number }) {
  const c = state.case;
  if (!c) return null;
  const pieces = buildPieces(state, now);
  const start = c.startedAtMs;
  const end = Math.max(now, state.prediction?.caseEndMs ?? 0, ...pieces.map((p) => p.endMs));
  const span = Math.max(1, end - start);
  const meta = new Map(state.phases.map((p) => [p.id, p]));
  return (
    <div class="timeline" data-testid="timeline">
      <ol class="timeline-bar" aria-label="Case timeline: phases so far and predicted">
        {pieces.map((p) => {
          const m = meta.get(p.phase) ?? fallbackPhase(p.phase);
          const name = m.displayName;
          const label = `${name}${p.predicted ? ' (predicted)' : ''}, ${formatDuration(p.endMs - p.startMs)}`;
          return (
            <li
              key={`${p.phase}-${p.startMs}-${p.predicted}`}
              class={`piece${p.predicted ? ' predicted' : ''}`}
              data-phase={p.phase}
              title={label}
              style={{
                left: `${((p.startMs - start) / span) * 100}%`,
                width: `${((p.endMs - p.startMs) / span) * 100}%`,
                backgroundColor: m.color,
              }}
            >
              <span class="sr-only">{label}</span>
            </li>
          );
        })}
      </ol>
      <div class="timeline-now" style={{ left: `${((now - start) / span) * 100}%` }} aria-hidden="true" />
      <div class="timeline-legend" aria-hidden="true">
        <span>{formatDuration(0)}</span>
        <span class="legend-predicted">▨ predicted</span>
        <span>{formatDuration(span)}</span>
      </div>
    </div>
  );
}
