import { formatDuration, textColorOn } from '../shared/format.js';
import type { Bookmark, PhaseMeta, Segment, TimelineEvent } from './review-api.js';

interface Props {
  startMs: number;
  endMs: number;
  segments: Segment[];
  events: TimelineEvent[];
  bookmarks: Bookmark[];
  phases: Map<string, PhaseMeta>;
  currentMs: number | null;
  selected: string | null;
  onSeek: (atMs: number) => void;
  onSelect: (segmentId: string) => void;
}

const EVENT_SYMBOL: Record<string, string> = {
  source_lost: '✕',
  source_recovered: '✓',
  out_of_body_in: '◐',
  out_of_body_out: '◑',
  recording_gap: '⋯',
  model_changed: 'M',
  phase_retracted: '↶',
  case_started: '▶',
  case_stopped: '■',
};

/**
 * The case's phases as buttons on a time axis (click → the video seeks to the phase start
 * and plays), with event and bookmark markers above them and the playhead. Each phase is
 * labelled in text; a corrected phase is marked with a ✎ as well as its outline.
 */
export function PhaseTimeline(props: Props) {
  const span = Math.max(1, props.endMs - props.startMs);
  const pct = (t: number) => `${Math.min(100, Math.max(0, ((t - props.startMs) / span) * 100))}%`;
  const width = (a: number, b: number) => `${Math.max(0.2, ((b - a) / span) * 100)}%`;
  return (
    <div class="phase-timeline" data-testid="phase-timeline">
      <div class="markers">
        {props.events.map((e) => (
          <button
            key={e.id}
            type="button"
            class="marker event"
            style={{ left: pct(e.atMs) }}
            title={`${e.type.replaceAll('_', ' ')}${e.sourceName ? ` (${e.sourceName})` : ''} at ${formatDuration(e.atMs - props.startMs)}`}
            aria-label={`Event ${e.type.replaceAll('_', ' ')} at ${formatDuration(e.atMs - props.startMs)}`}
            onClick={() => props.onSeek(e.atMs)}
          >
            {EVENT_SYMBOL[e.type] ?? '•'}
          </button>
        ))}
        {props.bookmarks.map((b) => (
          <button
            key={b.id}
            type="button"
            class="marker bookmark"
            style={{ left: pct(b.atMs) }}
            title={`Bookmark: ${b.note}`}
            aria-label={`Bookmark at ${formatDuration(b.atMs - props.startMs)}: ${b.note}`}
            onClick={() => props.onSeek(b.atMs)}
            data-testid="bookmark-marker"
          >
            ★
          </button>
        ))}
      </div>
      <ol class="phases" aria-label="Phases (select to play from the start)">
        {props.segments.map((s) => {
          const meta = props.phases.get(s.phase);
          const color = meta?.color ?? '#667';
          const name = meta?.displayName ?? s.phase;
          const end = s.endedAtMs ?? props.endMs;
          const label = `${name}, ${formatDuration(s.startedAtMs - props.startMs)} to ${formatDuration(end - props.startMs)}${s.corrected ? ', corrected' : ''}`;
          return (
            <li
              key={s.segmentId}
              class="phase-slot"
              style={{ left: pct(s.startedAtMs), width: width(s.startedAtMs, end) }}
            >
              <button
                type="button"
                class={`phase-button${s.corrected ? ' corrected' : ''}${props.selected === s.segmentId ? ' selected' : ''}`}
                style={{ backgroundColor: color, color: textColorOn(color) }}
                title={label}
                aria-label={label}
                aria-current={props.selected === s.segmentId ? 'true' : undefined}
                data-testid="phase-button"
                data-phase={s.phase}
                data-segment-id={s.segmentId}
                data-start-ms={s.startedAtMs}
                onClick={() => {
                  props.onSelect(s.segmentId);
                  props.onSeek(s.startedAtMs);
                }}
              >
                {s.corrected && <span aria-hidden="true">✎ </span>}
                {name}
              </button>
            </li>
          );
        })}
      </ol>
      {props.currentMs !== null && (
        <div
          class="playhead"
          style={{ left: pct(props.currentMs) }}
          aria-hidden="true"
          data-testid="playhead"
        />
      )}
      <div class="axis" aria-hidden="true">
        <span>0:00</span>
        <span>{formatDuration(span)}</span>
      </div>
    </div>
  );
}
