import { statfs } from 'node:fs/promises';
import type { Logger } from '../daemon/log.js';
import type { Outbox } from './outbox.js';

export interface DiskPolicyOptions {
  dataDir: string;
  minFreeMb: number;
  maxAgeH: number;
}

/**
 * The configured disk policy: the box deletes nothing headquarters has not acknowledged,
 * unless this policy says so; then every drop is counted (outbox drop_reason, reported in
 * telemetry and `orsight sync status`) and logged.
 */
export class DiskPolicy {
  droppedTotal = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly options: DiskPolicyOptions,
    private readonly log: Logger,
    /** Uploads under way are not dropped (their bytes are already leaving). */
    private readonly busySeqs: () => number[] = () => [],
    private readonly freeBytes: (dir: string) => Promise<number> = async (dir) => {
      const s = await statfs(dir);
      return s.bavail * s.bsize;
    },
    private readonly now: () => number = Date.now,
  ) {}

  async check(): Promise<number> {
    let dropped = 0;
    const nowMs = this.now();
    if (this.options.maxAgeH > 0) {
      const n = this.outbox.dropOlderThan(nowMs - this.options.maxAgeH * 3_600_000, 'policy:max_age', nowMs);
      if (n > 0)
        this.log.warn(
          { dropped: n, reason: 'policy:max_age', maxAgeH: this.options.maxAgeH },
          'disk policy dropped pending items',
        );
      dropped += n;
    }
    const free = await this.freeBytes(this.options.dataDir).catch(() => undefined);
    if (free !== undefined && free < this.options.minFreeMb * 1_048_576) {
      const items = this.outbox.dropOldestFiles(1, 'policy:disk_low', nowMs, this.busySeqs());
      if (items.length > 0) {
        this.log.warn(
          {
            dropped: items.length,
            ids: items.map((i) => i.id),
            reason: 'policy:disk_low',
            freeBytes: free,
            minFreeMb: this.options.minFreeMb,
          },
          'disk policy dropped pending video uploads',
        );
      }
      dropped += items.length;
    }
    this.droppedTotal += dropped;
    return dropped;
  }
}
