import type { Store } from '../store/index.js';

/** Who did something: a user, a paired display, or the daemon itself. */
export type Actor =
  | { kind: 'user'; id: string; username: string; role: 'display' | 'clinician' | 'admin' }
  | { kind: 'display'; id: string; name: string }
  | { kind: 'system' };

export const actorId = (a: Actor): string =>
  a.kind === 'user' ? a.id : a.kind === 'display' ? `display:${a.id}` : 'system';

export interface AuditEntry {
  seq: number;
  atMs: number;
  actor: string;
  action: string;
  target: string | null;
  ip: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  fromMs?: number;
  toMs?: number;
  limit: number;
  /** Entries with seq below this (newest-first paging). */
  beforeSeq?: number;
}

/**
 * The append-only audit log (the table refuses UPDATE and DELETE). `detail` never holds PHI:
 * ids, counts and field names only — never labels, notes or names.
 */
export class AuditLog {
  constructor(private readonly store: Store) {}

  append(e: {
    actor: Actor | string;
    action: string;
    target?: string | null;
    ip?: string | null;
    detail?: Record<string, unknown>;
    atMs?: number;
  }): void {
    this.store.db
      .prepare('INSERT INTO audit_log (at, actor, action, target, ip, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        e.atMs ?? Date.now(),
        typeof e.actor === 'string' ? e.actor : actorId(e.actor),
        e.action,
        e.target ?? null,
        e.ip ?? null,
        e.detail ? JSON.stringify(e.detail) : null,
      );
  }

  query(q: AuditQuery): AuditEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      where.push(sql);
      args.push(v);
    };
    if (q.actor !== undefined) add('actor = ?', q.actor);
    if (q.action !== undefined) add('action = ?', q.action);
    if (q.target !== undefined) add('target = ?', q.target);
    if (q.fromMs !== undefined) add('at >= ?', q.fromMs);
    if (q.toMs !== undefined) add('at < ?', q.toMs);
    if (q.beforeSeq !== undefined) add('seq < ?', q.beforeSeq);
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.store.db
      .prepare(`SELECT * FROM audit_log ${w} ORDER BY seq DESC LIMIT ?`)
      .all(...args, q.limit) as Array<{
      seq: number;
      at: number;
      actor: string;
      action: string;
      target: string | null;
      ip: string | null;
      detail: string | null;
    }>;
    return rows.map((r) => ({
      seq: r.seq,
      atMs: r.at,
      actor: r.actor,
      action: r.action,
      target: r.target,
      ip: r.ip,
      detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
    }));
  }
}
