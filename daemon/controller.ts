import type { Logger } from './log.js';
import type { Part, PartHealth } from './part.js';

export interface ControllerOptions {
  parts: Part[];
  log: Logger;
  startTimeoutMs: number;
  stopTimeoutMs: number;
}

export interface Readiness {
  ok: boolean;
  parts: Record<string, PartHealth>;
}

/**
 * Starts the parts in order and stops them in reverse order, each within its own timeout,
 * so one stuck part never keeps the rest from shutting down cleanly.
 */
export class Controller {
  private started: Part[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: ControllerOptions) {}

  async start(): Promise<void> {
    const { log, startTimeoutMs } = this.options;
    for (const part of this.options.parts) {
      const t0 = performance.now();
      try {
        await withTimeout(
          part.start(),
          startTimeoutMs,
          `${part.name} did not start within ${startTimeoutMs} ms`,
        );
      } catch (err) {
        log.error({ part: part.name, err }, 'part failed to start; stopping the parts already started');
        await this.stop();
        throw err;
      }
      this.started.push(part);
      log.info({ part: part.name, durationMs: Math.round(performance.now() - t0) }, 'part started');
    }
  }

  /** Idempotent: a second call waits for the first. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const { log, stopTimeoutMs } = this.options;
    for (const part of [...this.started].reverse()) {
      const t0 = performance.now();
      try {
        await withTimeout(part.stop(), stopTimeoutMs, `did not stop within ${stopTimeoutMs} ms`);
        log.info({ part: part.name, durationMs: Math.round(performance.now() - t0) }, 'part stopped');
      } catch (err) {
        log.error({ part: part.name, err }, 'part failed to stop cleanly; continuing shutdown');
      }
    }
    this.started = [];
  }

  readiness(): Readiness {
    const parts: Record<string, PartHealth> = {};
    let ok = this.started.length === this.options.parts.length && !this.stopping;
    for (const part of this.options.parts) {
      let h: PartHealth;
      try {
        h = this.started.includes(part) ? part.health() : { ok: false, state: 'not started' };
      } catch (err) {
        h = { ok: false, state: 'error', detail: { error: (err as Error).message } };
      }
      parts[part.name] = h;
      ok &&= h.ok;
    }
    return { ok, parts };
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
