/**
 * Group commit for a sync call (fdatasync of a file): sync() resolves after a run of `run`
 * that started after sync() was called, so it covers every write completed before the call.
 * Calls that arrive while a run is under way share the one run queued behind it.
 */
export class GroupSync {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly run: () => Promise<void>) {}

  sync(): Promise<void> {
    if (!this.running) return this.start();
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.start();
      });
    return this.next;
  }

  /** Resolves when the runs under way and queued have ended (their errors are their callers'). */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.next?.catch(() => undefined);
  }

  private start(): Promise<void> {
    const run = this.run().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
