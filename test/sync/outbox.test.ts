import { describe, expect, it } from 'vitest';
import { Outbox } from '../../sync/outbox.js';
import { runCli } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { CaseWriter, openStore } from './harness.js';

describe('durable outbox (real SQLite, migration 3 triggers)', () => {
  it('enqueues in the same transaction as the data: a rolled-back write leaves no outbox item', () => {
    const dir = tempDir();
    const store = openStore(dir);
    const w = new CaseWriter(store.db, dir);
    const caseId = w.startCase();
    const before = (store.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    expect(() =>
      store.tx(() => {
        w.event(caseId, 'source_lost');
        throw new Error('case engine failed mid-write');
      }),
    ).toThrow('mid-write');
    expect((store.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n).toBe(before);
    w.event(caseId, 'source_lost');
    expect((store.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n).toBe(before + 1);
    store.close();
  });

  it('never puts the case label or bookmark notes in a payload; label-only edits send nothing', () => {
    const dir = tempDir();
    const store = openStore(dir);
    const w = new CaseWriter(store.db, dir);
    const caseId = w.startCase('Doe, John 1960-01-01');
    w.bookmark(caseId);
    const n = (store.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    store.db.prepare('UPDATE cases SET label = ? WHERE id = ?').run('Roe, Richard', caseId);
    expect((store.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n).toBe(n);
    const payloads = (
      store.db.prepare('SELECT CAST(payload AS TEXT) AS p FROM outbox').all() as Array<{ p: string }>
    ).map((r) => r.p);
    expect(payloads.join('\n')).not.toMatch(/Doe|Roe|private note/);
    store.close();
  });

  it('orders by priority then sequence (records before video), survives a restart, and tracks acks', () => {
    const dir = tempDir();
    let store = openStore(dir);
    const w = new CaseWriter(store.db, dir);
    const caseId = w.startCase();
    w.recording(caseId, 1000);
    w.segment(caseId, 'preparation');
    const outbox = new Outbox(store.db);
    const due = outbox.dueRecords(Date.now(), 100);
    expect(due.map((d) => d.topic)).toEqual(['rec/case', 'rec/recording', 'rec/phase_segment']);
    expect(due.map((d) => d.seq)).toEqual([...due.map((d) => d.seq)].sort((a, b) => a - b));
    // Sent, then the box restarts before any ack: everything is due again at once.
    outbox.markSent(
      due.map((d) => ({ seq: d.seq, nextTryAtMs: Date.now() + 60_000 })),
      Date.now(),
    );
    expect(outbox.dueRecords(Date.now(), 100)).toEqual([]);
    store.close();
    store = openStore(dir);
    const reopened = new Outbox(store.db);
    expect(reopened.makeUnackedDue(Date.now())).toBe(3);
    expect(reopened.dueRecords(Date.now(), 100).map((d) => d.id)).toEqual(due.map((d) => d.id));
    expect(reopened.dueFile(Date.now())?.id).toMatch(/^file:/);
    // A bounded window: never more than asked for.
    expect(reopened.dueRecords(Date.now(), 2)).toHaveLength(2);
    expect(reopened.ack([due[0]!.id, due[0]!.id, 'unknown'], Date.now())).toHaveLength(1);
    expect(reopened.stats()).toMatchObject({ pending: 3, acked: 1, pendingFiles: 1 });
    // Retention prunes acknowledged rows only.
    expect(reopened.pruneAcked(Date.now() - 60_000)).toBe(0);
    store.close();
    const pruneDir = tempDir();
    const s2 = openStore(pruneDir);
    const o2 = new Outbox(s2.db);
    const c2 = new CaseWriter(s2.db, pruneDir).startCase();
    o2.ack([o2.dueRecords(Date.now(), 1)[0]!.id], Date.now() - 120_000);
    new CaseWriter(s2.db, pruneDir).event(c2, 'source_lost');
    expect(o2.pruneAcked(Date.now() - 60_000)).toBe(1);
    expect(o2.stats()).toMatchObject({ pending: 1, acked: 0 });
    s2.close();

    const cli = runCli(['sync', 'status', '--db', `${dir}/orsight.db`, '--json']);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({
      pending: 3,
      pendingRecords: 2,
      pendingFiles: 1,
      acked: 1,
      sent: 2,
    });
    const text = runCli(['sync', 'status', '--db', `${dir}/orsight.db`]);
    expect(text.stdout).toContain('pending       3 (records 2, files 1)');
    expect(text.stdout).toContain('acknowledged  1');
  });
});
