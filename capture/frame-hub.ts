import type { AnalysisFrame } from './types.js';

/** A frame consumer. Returning a promise marks it busy until the promise settles. */
export type FrameConsumer = (frame: AnalysisFrame) => void | Promise<void>;

export interface SubscribeOptions {
  /** Only frames of this source. */
  source?: string;
}

interface Slot {
  fn: FrameConsumer;
  source: string | undefined;
  busy: boolean;
  pending: AnalysisFrame | null;
}

/**
 * Delivers analysis frames to consumers, bounded: each consumer has one slot; while it is busy
 * the newest frame replaces the waiting one and the replaced frame is counted as dropped. A slow
 * consumer therefore holds at most two frames and never slows capture or the other consumers.
 * Each frame's `data` owns its ArrayBuffer (offset 0) so a consumer may transfer it to a
 * worker; with several consumers, the others get copies.
 */
export class FrameHub {
  private readonly slots = new Set<Slot>();
  private readonly dropped = new Map<string, number>();

  constructor(private readonly onConsumerError: (err: unknown, source: string) => void) {}

  subscribe(fn: FrameConsumer, options: SubscribeOptions = {}): () => void {
    const slot: Slot = { fn, source: options.source, busy: false, pending: null };
    this.slots.add(slot);
    return () => {
      this.slots.delete(slot);
      slot.pending = null;
    };
  }

  get consumerCount(): number {
    return this.slots.size;
  }

  /** Frames dropped for slow consumers, per source. */
  droppedFor(source: string): number {
    return this.dropped.get(source) ?? 0;
  }

  /** Frames waiting in consumer slots (at most one per consumer). */
  get pendingCount(): number {
    let n = 0;
    for (const s of this.slots) if (s.pending) n++;
    return n;
  }

  publish(frame: AnalysisFrame): void {
    let first = true;
    for (const slot of this.slots) {
      if (slot.source !== undefined && slot.source !== frame.source) continue;
      const f = first ? frame : { ...frame, data: frame.data.slice() };
      first = false;
      if (slot.busy) {
        if (slot.pending) this.dropped.set(frame.source, this.droppedFor(frame.source) + 1);
        slot.pending = f;
      } else {
        this.deliver(slot, f);
      }
    }
  }

  private deliver(slot: Slot, frame: AnalysisFrame): void {
    let result: void | Promise<void>;
    try {
      result = slot.fn(frame);
    } catch (err) {
      this.onConsumerError(err, frame.source);
      return;
    }
    if (!(result instanceof Promise)) return;
    slot.busy = true;
    result
      .catch((err: unknown) => this.onConsumerError(err, frame.source))
      .finally(() => {
        slot.busy = false;
        const next = slot.pending;
        slot.pending = null;
        if (next && this.slots.has(slot)) this.deliver(slot, next);
      });
  }
}
