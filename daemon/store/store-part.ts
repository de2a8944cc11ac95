import { join } from 'node:path';
import type { Config } from '../../config/index.js';
import type { Logger } from '../log.js';
import type { Part, PartHealth } from '../part.js';
import { Store } from './store.js';

export const DB_FILE = 'orsight.db';

/** Opens the database first and closes it last. Other parts get `.store` after start. */
export class StorePart implements Part {
  readonly name = 'store';
  private opened: Store | undefined;

  constructor(
    private readonly config: Pick<Config, 'storage'>,
    private readonly log: Logger,
  ) {}

  get store(): Store {
    if (!this.opened) throw new Error('store is not open yet');
    return this.opened;
  }

  async start(): Promise<void> {
    const s = this.config.storage;
    this.opened = Store.open({
      file: join(s.data_dir, DB_FILE),
      busyTimeoutMs: s.busy_timeout_ms,
      synchronous: s.synchronous,
      integrityCheck: s.integrity_check,
      log: this.log,
    });
    this.log.info({ version: this.opened.version }, 'database open');
  }

  async stop(): Promise<void> {
    this.opened?.close();
    this.opened = undefined;
  }

  health(): PartHealth {
    return this.opened
      ? { ok: true, state: 'open', detail: { version: this.opened.version } }
      : { ok: false, state: 'closed' };
  }
}
