import type { LiveState } from '../../ui/live-types.js';

export type LiveListener = (changes: Partial<LiveState>, seq: number) => void;

/**
 * The room's live state, owned by the case engine. Every change bumps `seq` and goes to the
 * listeners (the WebSocket channel) synchronously, so a delta leaves in the same tick as
 * the event that caused it.
 */
export class LiveStateStore {
  private state: LiveState;
  private seqNo = 0;
  private readonly listeners = new Set<LiveListener>();

  constructor(room: string) {
    this.state = {
      room,
      case: null,
      phase: null,
      outOfBody: false,
      segments: [],
      sources: [],
      prediction: null,
      phases: [],
      modelVersion: null,
    };
  }

  get seq(): number {
    return this.seqNo;
  }

  /** A copy that later changes do not touch. */
  snapshot(): { state: LiveState; seq: number } {
    return { state: structuredClone(this.state), seq: this.seqNo };
  }

  current(): Readonly<LiveState> {
    return this.state;
  }

  update(changes: Partial<LiveState>): void {
    const keys = Object.keys(changes) as Array<keyof LiveState>;
    const changed: Partial<LiveState> = {};
    for (const k of keys) {
      if (JSON.stringify(this.state[k]) === JSON.stringify(changes[k])) continue;
      (changed as Record<string, unknown>)[k] = changes[k];
    }
    if (Object.keys(changed).length === 0) return;
    this.state = { ...this.state, ...changed };
    this.seqNo += 1;
    for (const fn of this.listeners) fn(changed, this.seqNo);
  }

  subscribe(fn: LiveListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
