import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config/index.js';
import { outboxStats } from '../../sync/index.js';
import { DB_FILE } from '../store/store-part.js';

/** `orsight sync status`: what the outbox holds (pending, sent, acknowledged, dropped). */
export function registerSyncCommands(program: Command): void {
  const sync = program.command('sync').description('sync to headquarters');
  sync
    .command('status')
    .description('outbox: pending, sent, acknowledged, dropped; uploads; synced cases')
    .option('-c, --config <file>', 'config file')
    .option('--db <file>', 'database file (default: <data_dir>/orsight.db from the config)')
    .option('--json', 'machine-readable output')
    .action((opts: { config?: string; db?: string; json?: boolean }) => {
      let path = opts.db;
      if (!path) {
        try {
          path = join(loadConfig({ file: opts.config, env: process.env }).storage.data_dir, DB_FILE);
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          process.stderr.write(`invalid configuration:\n${err.message}\n`);
          process.exit(2);
        }
      }
      if (!existsSync(path)) {
        process.stderr.write(`${path}: no such database (has orsightd run yet?)\n`);
        process.exit(1);
      }
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'sync_files'`).get()) {
          process.stderr.write(`${path}: schema too old for sync; start orsightd once to migrate\n`);
          process.exit(1);
        }
        const stats = outboxStats(db);
        const uploads = db
          .prepare(
            `SELECT f.file_id AS fileId, f.size_bytes AS sizeBytes,
               (SELECT coalesce(sum(size_bytes), 0) FROM sync_file_chunks c WHERE c.file_id = f.file_id) AS ackedBytes
             FROM sync_files f WHERE f.fin_acked_at IS NULL ORDER BY f.created_at`,
          )
          .all() as Array<{ fileId: string; sizeBytes: number; ackedBytes: number }>;
        const counters = db.prepare('SELECT name, value FROM sync_counters ORDER BY name').all() as Array<{
          name: string;
          value: number;
        }>;
        const report = {
          ...stats,
          uploads,
          counters: Object.fromEntries(counters.map((c) => [c.name, c.value])),
        };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          return;
        }
        const age =
          stats.oldestPendingAtMs === null
            ? '-'
            : `${Math.round((Date.now() - stats.oldestPendingAtMs) / 1000)} s`;
        const lines = [
          `pending       ${stats.pending} (records ${stats.pendingRecords}, files ${stats.pendingFiles}); oldest ${age}`,
          `sent          ${stats.sent} (awaiting acknowledgement)`,
          `acknowledged  ${stats.acked}; last ${stats.lastAckAtMs ? new Date(stats.lastAckAtMs).toISOString() : '-'}`,
          `dropped       ${Object.values(stats.dropped).reduce((a, b) => a + b, 0)}${
            Object.keys(stats.dropped).length
              ? ` (${Object.entries(stats.dropped)
                  .map(([k, v]) => `${k}: ${v}`)
                  .join(', ')})`
              : ''
          }`,
          `cases synced  ${stats.casesSynced}`,
          ...uploads.map(
            (u) => `uploading     ${u.fileId}: ${u.ackedBytes}/${u.sizeBytes} bytes acknowledged`,
          ),
          ...counters.map((c) => `counter       ${c.name}: ${c.value}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        db.close();
      }
    });
}
