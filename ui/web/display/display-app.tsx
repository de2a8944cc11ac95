import type { LiveState } from '../../live-types.js';
import { formatClock, formatDuration, formatMinutes } from '../shared/format.js';
import { useServerNow } from '../shared/hooks.js';
import type { LiveView } from '../shared/live-client.js';
import type { ServerClock } from '../shared/server-clock.js';
import { SourceList } from './source-list.js';
import { type DisplayStatus, displayStatus } from './status.js';
import { TimelineBar } from './timeline-bar.js';

interface Props {
  view: LiveView;
  clock: ServerClock;
  paired: boolean;
}

const BANNERS: Partial<Record<DisplayStatus, { icon: string; text: string }>> = {
  unreachable: { icon: '⚠', text: 'Daemon unreachable' },
  'signal-lost': { icon: '⚠', text: 'Signal lost' },
  'out-of-body': { icon: '◐', text: 'Out of body' },
  unauthorized: { icon: '🔒', text: 'Display not paired' },
};

/**
 * The wall display: read from across the room, never clicked. Everything important is text
 * (colour is only a second cue); while the daemon is unreachable the last known data stays
 * on screen, greyed, under a banner.
 */
export function DisplayApp({ view, clock, paired }: Props) {
  const now = useServerNow(clock);
  const status = displayStatus(view.link, view.state);
  const state = view.state;
  const banner = BANNERS[status];
  const stale = status === 'unreachable' || status === 'unauthorized';
  return (
    <div
      class={`display status-${status}${stale ? ' stale' : ''}`}
      data-testid="display"
      data-status={status}
    >
      <header class="display-header">
        <h1 class="room">{state?.room ?? 'orsight'}</h1>
        <span class="procedure">{procedureName(state?.case?.procedure)}</span>
        <span class="clock" data-testid="clock">
          {formatClock(now)}
        </span>
        <LinkBadge link={view.link} />
      </header>
      {banner && (
        <div class={`banner banner-${status}`} role="alert" data-testid="banner">
          <span aria-hidden="true">{banner.icon}</span> {banner.text}
          {status === 'unreachable' && view.lastMessageAtMs !== null && (
            <span class="banner-detail"> · last data {formatClock(view.lastMessageAtMs, true)}</span>
          )}
          {status === 'unauthorized' && (
            <span class="banner-detail">
              {paired ? ' · the token was revoked or is wrong' : ' · open the pairing link from Admin'}
            </span>
          )}
        </div>
      )}
      <main class="display-main">
        {!state ? (
          <p class="big-message" data-testid="connecting">
            {status === 'unauthorized'
              ? 'Not paired'
              : status === 'unreachable'
                ? 'No data yet'
                : 'Connecting…'}
          </p>
        ) : state.case ? (
          // While unreachable the timers stop at the last data received: frozen, greyed, honest.
          <CaseView state={state} now={stale && view.lastMessageAtMs !== null ? view.lastMessageAtMs : now} />
        ) : (
          <p class="big-message" data-testid="no-case">
            No case in progress
          </p>
        )}
      </main>
      <footer class="display-footer">{state && <SourceList sources={state.sources} />}</footer>
    </div>
  );
}

/** "laparoscopic-cholecystectomy" → "Laparoscopic cholecystectomy". */
function procedureName(id: string | undefined): string {
  if (!id) return '';
  const words = id.replace(/[_-]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function LinkBadge({ link }: { link: LiveView['link'] }) {
  const text = { connecting: 'Connecting', live: 'Live', unreachable: 'Offline', unauthorized: 'Not paired' }[
    link
  ];
  const icon = link === 'live' ? '●' : link === 'connecting' ? '○' : '✕';
  return (
    <span class={`link link-${link}`} data-testid="link-state" data-state={link}>
      <span aria-hidden="true">{icon}</span> {text}
    </span>
  );
}

function CaseView({ state, now }: { state: LiveState; now: number }) {
  const c = state.case!;
  const phase = state.phase;
  const meta = phase ? state.phases.find((p) => p.id === phase.id) : undefined;
  const color = phase?.color ?? meta?.color ?? '#9aa4b2';
  const prediction = state.prediction;
  const caseEnd = prediction?.caseEndMs ?? null;
  return (
    <section class="case" aria-label="Current case">
      <div class="phase" data-testid="phase">
        <span class="phase-swatch" style={{ backgroundColor: color }} aria-hidden="true" />
        <h2 class="phase-name" data-testid="phase-name" data-phase-id={phase?.id ?? ''} style={{ color }}>
          {phase ? phase.displayName : state.outOfBody ? 'Out of body' : 'Waiting for phase'}
        </h2>
      </div>
      <dl class="timers">
        <div class="timer">
          <dt>In phase</dt>
          {/* The detector may have entered the phase before the case opened: count from the later. */}
          <dd data-testid="time-in-phase">
            {phase ? formatDuration(now - Math.max(phase.startedAtMs, c.startedAtMs)) : '–'}
          </dd>
        </div>
        <div class="timer">
          <dt>Case time</dt>
          <dd data-testid="case-time">{formatDuration(now - c.startedAtMs)}</dd>
        </div>
        <div class="timer">
          <dt>Predicted end</dt>
          <dd data-testid="predicted-end">{caseEnd ? formatClock(caseEnd) : '–'}</dd>
        </div>
        <div class="timer">
          <dt>Remaining</dt>
          <dd data-testid="remaining">
            {caseEnd ? (
              caseEnd > now ? (
                <>
                  <span class="unit">≈</span>
                  {formatMinutes(caseEnd - now)}
                  <span class="unit"> min</span>
                </>
              ) : (
                'overdue'
              )
            ) : (
              '–'
            )}
          </dd>
        </div>
      </dl>
      <TimelineBar state={state} now={now} />
    </section>
  );
}
