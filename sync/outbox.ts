import type { Db } from '../daemon/store/index.js';
import { relaxedWrite } from './relaxed-sync.js';

/** One outbox row as the sender needs it. */
export interface OutboxItem {
  seq: number;
  id: string;
  kind: 'record' | 'file';
  priority: number;
  caseId: string | null;
  /** Relative to the device topic root, e.g. `rec/case`. */
  topic: string;
  payload: Buffer | null;
  createdAtMs: number;
  attempts: number;
}

export interface OutboxStats {
  pending: number;
  pendingRecords: number;
  pendingFiles: number;
  sent: number;
  acked: number;
  dropped: Record<string, number>;
  oldestPendingAtMs: number | null;
  lastAckAtMs: number | null;
  casesSynced: number;
}

export const PRIORITY = { record: 10, file: 50 } as const;

interface Row {
  seq: number;
  id: string;
  kind: string;
  priority: number;
  case_id: string | null;
  topic: string;
  payload: Buffer | string | null;
  created_at: number;
  attempts: number;
}

const toItem = (r: Row): OutboxItem => ({
  seq: r.seq,
  id: r.id,
  kind: r.kind === 'file' ? 'file' : 'record',
  priority: r.priority,
  caseId: r.case_id,
  topic: r.topic,
  payload: r.payload === null ? null : Buffer.isBuffer(r.payload) ? r.payload : Buffer.from(r.payload),
  createdAtMs: r.created_at,
  attempts: r.attempts,
});

const PENDING = 'acked_at IS NULL AND dropped_at IS NULL';

/**
 * The durable outbox in SQLite. Rows are written by triggers in the transaction that
 * creates their data (migration 3); this class reads them in priority and sequence order,
 * records attempts and back-off, and marks them acknowledged only when headquarters says
 * they are durably stored. Nothing here is kept only in memory.
 */
export class Outbox {
  constructor(private readonly db: Db) {}

  /** After a restart or a reconnect: everything sent but unacknowledged is due again now. */
  makeUnackedDue(nowMs: number): number {
    return this.db
      .prepare(`UPDATE outbox SET next_try_at = ? WHERE ${PENDING} AND next_try_at > ?`)
      .run(nowMs, nowMs).changes;
  }

  /** Due records, best priority first, then in sequence (so each case stays in order). */
  dueRecords(nowMs: number, limit: number): OutboxItem[] {
    if (limit <= 0) return [];
    return (
      this.db
        .prepare(
          `SELECT seq, id, kind, priority, case_id, topic, payload, created_at, attempts FROM outbox
           WHERE ${PENDING} AND kind = 'record' AND next_try_at <= ? ORDER BY priority, seq LIMIT ?`,
        )
        .all(nowMs, limit) as Row[]
    ).map(toItem);
  }

  /** The next due file upload (oldest first). */
  dueFile(nowMs: number): OutboxItem | undefined {
    const r = this.db
      .prepare(
        `SELECT seq, id, kind, priority, case_id, topic, payload, created_at, attempts FROM outbox
         WHERE ${PENDING} AND kind = 'file' AND next_try_at <= ? ORDER BY priority, seq LIMIT 1`,
      )
      .get(nowMs) as Row | undefined;
    return r ? toItem(r) : undefined;
  }

  /** Records that these items were sent and when to send them again if no ack comes. */
  markSent(items: Array<{ seq: number; nextTryAtMs: number }>, nowMs: number): void {
    const stmt = this.db.prepare(
      'UPDATE outbox SET sent_at = ?, attempts = attempts + 1, next_try_at = ? WHERE seq = ?',
    );
    relaxedWrite(this.db, () =>
      this.db.transaction(() => {
        for (const i of items) stmt.run(nowMs, i.nextTryAtMs, i.seq);
      })(),
    );
  }

  /** Postpones one item (failed attempt). */
  defer(seq: number, nextTryAtMs: number, nowMs: number): void {
    this.db
      .prepare('UPDATE outbox SET attempts = attempts + 1, sent_at = ?, next_try_at = ? WHERE seq = ?')
      .run(nowMs, nextTryAtMs, seq);
  }

  /** Marks ids acknowledged; returns the seqs that were newly acknowledged. */
  ack(ids: readonly string[], nowMs: number): number[] {
    if (ids.length === 0) return [];
    const rows = relaxedWrite(this.db, () =>
      this.db
        .prepare(
          `UPDATE outbox SET acked_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND acked_at IS NULL
         RETURNING seq`,
        )
        .all(nowMs, JSON.stringify(ids)),
    ) as Array<{ seq: number }>;
    return rows.map((r) => r.seq);
  }

  drop(seq: number, reason: string, nowMs: number): boolean {
    return (
      this.db
        .prepare(`UPDATE outbox SET dropped_at = ?, drop_reason = ? WHERE seq = ? AND ${PENDING}`)
        .run(nowMs, reason, seq).changes > 0
    );
  }

  /** Disk policy: drops the oldest pending video uploads; returns what was dropped. */
  dropOldestFiles(
    count: number,
    reason: string,
    nowMs: number,
    busySeqs: readonly number[] = [],
  ): OutboxItem[] {
    const rows = (
      this.db
        .prepare(
          `SELECT seq, id, kind, priority, case_id, topic, payload, created_at, attempts FROM outbox
           WHERE ${PENDING} AND kind = 'file' AND seq NOT IN (SELECT value FROM json_each(?))
           ORDER BY seq LIMIT ?`,
        )
        .all(JSON.stringify(busySeqs), count) as Row[]
    ).map(toItem);
    for (const r of rows) this.drop(r.seq, reason, nowMs);
    return rows;
  }

  /** Disk policy: drops pending items created before cutoffMs; returns how many. */
  dropOlderThan(cutoffMs: number, reason: string, nowMs: number): number {
    return this.db
      .prepare(`UPDATE outbox SET dropped_at = ?, drop_reason = ? WHERE ${PENDING} AND created_at < ?`)
      .run(nowMs, reason, cutoffMs).changes;
  }

  /** Inserts an item written by the sync part itself (e.g. a command result). */
  enqueue(item: { id: string; topic: string; caseId: string | null; payload: Buffer; nowMs: number }): void {
    this.db
      .prepare(
        `INSERT INTO outbox (id, kind, priority, case_id, topic, payload, created_at)
         VALUES (?, 'record', ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      )
      .run(item.id, PRIORITY.record, item.caseId, item.topic, item.payload, item.nowMs);
  }

  /** Re-sync of a case: everything of it is pending again (headquarters stores ids once). */
  resyncCase(caseId: string): number {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM sync_cases WHERE case_id = ?').run(caseId);
      return this.db
        .prepare(
          `UPDATE outbox SET acked_at = NULL, sent_at = NULL, attempts = 0, next_try_at = 0,
             dropped_at = CASE WHEN drop_reason LIKE 'excluded:%' THEN dropped_at END,
             drop_reason = CASE WHEN drop_reason LIKE 'excluded:%' THEN drop_reason END
           WHERE case_id = ?`,
        )
        .run(caseId).changes;
    })();
  }

  /** Marks ended cases whose every item is acknowledged (or excluded) as synced. */
  markSyncedCases(nowMs: number): string[] {
    const rows = this.db
      .prepare(
        `INSERT INTO sync_cases (case_id, synced_at)
         SELECT c.id, ? FROM cases c
         WHERE c.ended_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM sync_cases s WHERE s.case_id = c.id)
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.case_id = c.id AND o.acked_at IS NULL
                           AND (o.dropped_at IS NULL OR o.drop_reason NOT LIKE 'excluded:%'))
         RETURNING case_id`,
      )
      .all(nowMs) as Array<{ case_id: string }>;
    return rows.map((r) => r.case_id);
  }

  isCaseSynced(caseId: string): boolean {
    return this.db.prepare('SELECT 1 FROM sync_cases WHERE case_id = ?').get(caseId) !== undefined;
  }

  /** Removes acknowledged rows older than the retention. */
  pruneAcked(beforeMs: number): number {
    return this.db.transaction(() => {
      this.db
        .prepare('DELETE FROM sync_files WHERE fin_acked_at IS NOT NULL AND fin_acked_at < ?')
        .run(beforeMs);
      return this.db.prepare('DELETE FROM outbox WHERE acked_at IS NOT NULL AND acked_at < ?').run(beforeMs)
        .changes;
    })();
  }

  bumpCounter(name: string, by = 1): void {
    this.db
      .prepare(
        'INSERT INTO sync_counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value',
      )
      .run(name, by);
  }

  counters(): Record<string, number> {
    const rows = this.db.prepare('SELECT name, value FROM sync_counters').all() as Array<{
      name: string;
      value: number;
    }>;
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  }

  stats(): OutboxStats {
    return outboxStats(this.db);
  }
}

/** Counts for `orsight sync status` and telemetry; also usable on a read-only handle. */
export function outboxStats(db: Db): OutboxStats {
  const p = db
    .prepare(
      `SELECT count(*) AS n, sum(kind = 'record') AS r, sum(kind = 'file') AS f, min(created_at) AS oldest
       FROM outbox WHERE ${PENDING}`,
    )
    .get() as { n: number; r: number | null; f: number | null; oldest: number | null };
  const sent = db
    .prepare(`SELECT count(*) AS n FROM outbox WHERE ${PENDING} AND sent_at IS NOT NULL`)
    .get() as {
    n: number;
  };
  const acked = db
    .prepare('SELECT count(*) AS n, max(acked_at) AS last FROM outbox WHERE acked_at IS NOT NULL')
    .get() as { n: number; last: number | null };
  const dropped = db
    .prepare(
      // An item acknowledged after all (its upload finished as it was dropped) was not lost.
      'SELECT drop_reason AS reason, count(*) AS n FROM outbox WHERE dropped_at IS NOT NULL AND acked_at IS NULL GROUP BY drop_reason',
    )
    .all() as Array<{ reason: string | null; n: number }>;
  const synced = db.prepare('SELECT count(*) AS n FROM sync_cases').get() as { n: number };
  return {
    pending: p.n,
    pendingRecords: p.r ?? 0,
    pendingFiles: p.f ?? 0,
    sent: sent.n,
    acked: acked.n,
    dropped: Object.fromEntries(dropped.map((d) => [d.reason ?? 'unknown', d.n])),
    oldestPendingAtMs: p.oldest,
    lastAckAtMs: acked.last,
    casesSynced: synced.n,
  };
}
