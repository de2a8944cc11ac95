import type { LiveSource, LiveState } from '../../live-types.js';
import type { LinkState } from '../shared/live-client.js';

/** The one state the wall display is in, most urgent first. */
export type DisplayStatus =
  | 'connecting'
  | 'unauthorized'
  | 'unreachable'
  | 'no-case'
  | 'signal-lost'
  | 'out-of-body'
  | 'live';

const HEALTHY_SOURCE_STATES = new Set(['live', 'starting']);

export function sourceHasSignal(source: LiveSource): boolean {
  return HEALTHY_SOURCE_STATES.has(source.state);
}

export function displayStatus(link: LinkState, state: LiveState | null): DisplayStatus {
  if (link === 'unauthorized') return 'unauthorized';
  if (link === 'unreachable') return 'unreachable';
  if (!state) return 'connecting';
  const endoscopes = state.sources.filter((s) => s.role === 'endoscope');
  if (endoscopes.length > 0 && !endoscopes.some(sourceHasSignal)) return 'signal-lost';
  if (!state.case) return 'no-case';
  if (state.outOfBody) return 'out-of-body';
  return 'live';
}
