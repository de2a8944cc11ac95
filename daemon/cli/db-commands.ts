import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { Store, StoreError } from '../store/index.js';
import { DB_FILE } from '../store/store-part.js';

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('database maintenance');
  db.command('check')
    .description('run a full integrity check and apply pending migrations')
    .argument('[file]', 'database file (default: <data_dir>/orsight.db from the config)')
    .option('-c, --config <file>', 'config file')
    .action((file: string | undefined, opts: { config?: string }) => {
      const path =
        file ?? join(loadConfig({ file: opts.config, env: process.env }).storage.data_dir, DB_FILE);
      if (!existsSync(path)) {
        process.stderr.write(`${path}: no such database\n`);
        process.exit(1);
      }
      try {
        const store = Store.open({
          file: path,
          busyTimeoutMs: 5000,
          synchronous: 'FULL',
          integrityCheck: 'full',
        });
        process.stdout.write(`${path}: ok (schema version ${store.version})\n`);
        store.close();
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        process.stderr.write(`${path}: ${err.code}: ${err.message}\n`);
        process.exit(1);
      }
    });
}
