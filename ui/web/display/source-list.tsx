import type { LiveSource } from '../../live-types.js';
import { sourceHasSignal } from './status.js';

/** One line per source: its signal and, for the endoscope, in / out of body; icon + text. */
export function SourceList({ sources }: { sources: LiveSource[] }) {
  if (sources.length === 0) return <p class="sources-empty">No video sources configured</p>;
  return (
    <ul class="sources" aria-label="Video sources">
      {sources.map((s) => {
        const ok = sourceHasSignal(s);
        return (
          <li
            key={s.name}
            class={`source ${ok ? 'source-ok' : 'source-lost'}`}
            data-testid={`source-${s.name}`}
            data-state={s.state}
          >
            <span class="source-icon" aria-hidden="true">
              {ok ? '●' : '▲'}
            </span>
            <span class="source-name">{s.name}</span>
            <span class="source-state">
              {ok ? (s.state === 'live' ? 'signal' : s.state) : `no signal (${s.state})`}
            </span>
            {s.role === 'endoscope' && ok && (
              <span class={`source-body ${s.outOfBody ? 'out' : 'in'}`} data-testid={`source-${s.name}-body`}>
                {s.outOfBody ? '◐ out of body' : '◉ in body'}
              </span>
            )}
            {s.recording && (
              <span class="source-rec">
                <span class="rec-dot" aria-hidden="true">
                  ●
                </span>{' '}
                REC
              </span>
            )}
          </li>
        );
      })}
    </ul>
  );
}
