import type { Logger } from './log.js';

/**
 * The daemon's typed events. Each part declares the events it emits next to its own code,
 * by augmenting this interface:
 *
 *   declare module '../daemon/bus.js' {
 *     interface OrsightEvents { 'capture.source_status': SourceStatus }
 *   }
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each part
export interface OrsightEvents {}

type Listener<T> = (payload: T) => void;

/**
 * A synchronous typed event bus. Listeners are registered per owner so a part removes all
 * of its listeners with one call, and each listener is wrapped so one that throws is logged
 * as `owner/event` instead of taking the daemon down.
 */
export class EventBus {
  private readonly listeners = new Map<string, Array<{ owner: string; fn: Listener<unknown> }>>();

  constructor(private readonly log: Logger) {}

  on<K extends keyof OrsightEvents & string>(event: K, owner: string, fn: Listener<OrsightEvents[K]>): void {
    const list = this.listeners.get(event) ?? [];
    list.push({ owner, fn: fn as Listener<unknown> });
    this.listeners.set(event, list);
  }

  emit<K extends keyof OrsightEvents & string>(event: K, payload: OrsightEvents[K]): void {
    for (const { owner, fn } of this.listeners.get(event) ?? []) {
      try {
        fn(payload);
      } catch (err) {
        this.log.error({ err, listener: `${owner}/${event}` }, 'event listener failed');
      }
    }
  }

  removeOwner(owner: string): void {
    for (const [event, list] of this.listeners) {
      this.listeners.set(
        event,
        list.filter((l) => l.owner !== owner),
      );
    }
  }

  listenerCount(event: keyof OrsightEvents & string): number {
    return this.listeners.get(event)?.length ?? 0;
  }
}
