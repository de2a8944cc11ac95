import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config/index.js';
import { Accounts, hashToken } from '../../ui/auth/index.js';
import type { Store } from '../store/index.js';

/**
 * Tells the person who ran `bin/demo` how to look at it: a paired wall-display link (the
 * demo keeps one display token in its data directory, mode 0600, and reuses it) and how to
 * create the first review login. Written to the terminal, never to the log: the link holds
 * a token.
 */
export function announceDemo(store: Store, config: Readonly<Config>, port: number): string {
  const dataDir = config.storage.data_dir;
  const tokenFile = join(dataDir, 'demo-display.token');
  let token = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '';
  const valid =
    token !== '' &&
    store.db
      .prepare('SELECT 1 FROM display_tokens WHERE token_hash = ? AND revoked_at IS NULL')
      .get(hashToken(token)) !== undefined;
  if (!valid) {
    const accounts = new Accounts(store, {
      scryptCost: 16384,
      passwordMinChars: 12,
      sessionTtlMs: 3_600_000,
    });
    token = accounts.pairDisplay('demo-wall', 'demo').token;
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  }
  const users = (store.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  const base = `http://localhost:${port}`;
  const lines = [
    '',
    'orsight demo is running (simulated OR camera, demo model, local broker and central ingest).',
    `  wall display: ${base}/display#token=${token}`,
    `  review:       ${base}/review`,
    `  admin:        ${base}/admin`,
  ];
  if (users === 0) {
    lines.push(
      '  no user yet — create the first admin (the password is read from stdin):',
      `    ORSIGHT_STORAGE__DATA_DIR=${dataDir} npm run --silent orsight -- user add admin --role admin`,
    );
  }
  lines.push('  Ctrl-C stops it.', '');
  return lines.join('\n');
}
