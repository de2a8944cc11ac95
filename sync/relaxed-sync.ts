import type { Db } from '../daemon/store/index.js';

/**
 * Runs a write without waiting for its own fsync (PRAGMA synchronous=NORMAL for this commit,
 * then back). For bookkeeping whose loss on power failure is harmless: an acknowledgement
 * or a chunk forgotten is sent again and headquarters stores it once. A kill -9 loses
 * nothing (WAL), and the next ordinary commit syncs these frames too. better-sqlite3 runs
 * synchronously, so no other write can slip in between.
 */
export function relaxedWrite<T>(db: Db, fn: () => T): T {
  const level = db.pragma('synchronous', { simple: true }) as number;
  if (level <= 1 || db.inTransaction) return fn();
  db.pragma('synchronous = NORMAL');
  try {
    return fn();
  } finally {
    db.pragma(`synchronous = ${level}`);
  }
}
