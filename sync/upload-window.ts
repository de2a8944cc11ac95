import cron, { type ScheduledTask } from 'node-cron';

/**
 * Video upload windows: uploads may start a chunk only in a minute matching one of the cron
 * expressions (node-cron syntax, 5 or 6 fields). No expressions = always open.
 */
export class UploadWindow {
  private tasks: ScheduledTask[] = [];

  constructor(private readonly expressions: readonly string[]) {}

  /** Throws a message naming the bad expression. */
  start(): void {
    for (const e of this.expressions) {
      if (!cron.validate(e)) throw new Error(`sync.upload_windows: "${e}" is not a valid cron expression`);
    }
    // createTask only parses; nothing is scheduled, we only ask it whether a time matches.
    this.tasks = this.expressions.map((e) => cron.createTask(e, () => undefined));
  }

  isOpen(at: Date = new Date()): boolean {
    if (this.expressions.length === 0) return true;
    const minute = new Date(at);
    minute.setSeconds(0, 0);
    return this.tasks.some((t) => t.match(minute));
  }

  stop(): void {
    for (const t of this.tasks) void t.destroy();
    this.tasks = [];
  }
}
