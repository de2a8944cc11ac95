import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CaseError, CasesPart, searchCases } from '../../daemon/cases/index.js';
import type { LiveState } from '../../ui/live-types.js';
import { waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import {
  type EngineHarness,
  ended,
  model,
  oob,
  retracted,
  startEngine,
  started,
  status,
} from './engine-harness.js';

const admin = { kind: 'user', id: 'u-admin', username: 'alice', role: 'admin' } as const;
const clinician = { kind: 'user', id: 'u-clin', username: 'carol', role: 'clinician' } as const;

let h: EngineHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const eventTypes = (h: EngineHarness, caseId: string) => h.s.repo.events(caseId).map((e) => e.type);

describe('case lifecycle', () => {
  it('records phase segments from phase events and closes them with the case', async () => {
    let clock = Date.now();
    h = await startEngine(tempDir(), {}, () => clock);
    h.bus.emit('inference.model', model());
    const c = h.s.engine.startCase(admin, { label: 'Bed 4', surgeonId: 's-17' });
    expect(c.procedure).toBe('lap_chole');
    expect(c.modelVersion).toBe('m1');
    const t = c.startedAtMs;
    h.bus.emit('inference.phase', started('preparation', t + 1000));
    h.bus.emit('inference.phase', ended('preparation', t + 5000));
    h.bus.emit('inference.phase', started('calot_triangle_dissection', t + 5000));
    const segs = h.s.repo.segments(c.id);
    expect(segs.map((s) => [s.phase, s.startedAtMs, s.endedAtMs])).toEqual([
      ['preparation', t + 1000, t + 5000],
      ['calot_triangle_dissection', t + 5000, null],
    ]);
    // A phase change without phase_ended still closes the running segment.
    h.bus.emit('inference.phase', started('clipping_and_cutting', t + 9000));
    expect(h.s.repo.segments(c.id).map((s) => s.endedAtMs)).toEqual([t + 5000, t + 9000, null]);

    clock = t + 12_000;
    const stopped = h.s.engine.stopCase(admin, c.id);
    expect(stopped.endReason).toBe('manual');
    expect(stopped.endedAtMs).toBe(t + 12_000);
    const last = h.s.repo.segments(c.id).at(-1)!;
    expect(last.endedAtMs).toBe(stopped.endedAtMs);
    expect(eventTypes(h, c.id)).toEqual(['case_started', 'case_stopped']);
    expect(h.recorder.calls).toEqual([`start:${c.id}`, 'stop']);
    const audit = h.s.audit.query({ limit: 10, target: c.id }).map((a) => a.action);
    expect(audit).toEqual(['case.stop', 'case.start']);
  });

  it('withdraws a segment the filter retracted: the one before runs on, the withdrawn one is kept, flagged and synced', async () => {
    let clock = Date.now();
    h = await startEngine(tempDir(), {}, () => clock);
    h.bus.emit('inference.model', model());
    const c = h.s.engine.startCase(admin, {});
    const t = c.startedAtMs;
    h.bus.emit('inference.phase', started('gallbladder_dissection', t + 1000));
    h.bus.emit('inference.phase', ended('gallbladder_dissection', t + 20_000));
    h.bus.emit('inference.phase', started('gallbladder_packaging', t + 20_000));
    const withdrawn = h.s.repo.segments(c.id)[1]!;
    clock = t + 40_000;
    h.bus.emit(
      'inference.phase',
      retracted('gallbladder_packaging', t + 20_000, 'gallbladder_dissection', t + 1000),
    );
    const segs = h.s.repo.segments(c.id);
    expect(segs.map((s) => [s.phase, s.startedAtMs, s.endedAtMs])).toEqual([
      ['gallbladder_dissection', t + 1000, null],
    ]);
    expect(h.s.repo.openSegment(c.id)?.id).toBe(segs[0]!.id);
    // The live display shows dissection again, timed from its first start.
    const live = h.s.live.snapshot().state;
    expect(live.phase).toMatchObject({ id: 'gallbladder_dissection', startedAtMs: t + 1000 });
    expect(live.segments).toEqual([
      { phase: 'gallbladder_dissection', startedAtMs: t + 1000, endedAtMs: null },
    ]);
    // Nothing is lost: the row stays, flagged, and headquarters hears of both changes.
    const row = h.store.db.prepare('SELECT * FROM phase_segments WHERE id = ?').get(withdrawn.id) as {
      retracted_at: number;
      ended_at: number;
    };
    expect([row.retracted_at, row.ended_at]).toEqual([t + 40_000, t + 20_000]);
    const payloads = (
      h.store.db
        .prepare("SELECT payload FROM outbox WHERE topic = 'rec/phase_segment' ORDER BY seq")
        .all() as Array<{
        payload: Buffer;
      }>
    ).map(
      (r) =>
        JSON.parse(r.payload.toString()) as {
          id: string;
          endedAt: number | null;
          retractedAt: number | null;
        },
    );
    const last = (id: string) => payloads.filter((p) => p.id === id).at(-1)!;
    expect(last(withdrawn.id).retractedAt).toBe(t + 40_000);
    expect(last(segs[0]!.id)).toMatchObject({ endedAt: null, retractedAt: null });
    const ev = h.s.repo.events(c.id).find((e) => e.type === 'phase_retracted')!;
    expect(ev.data).toEqual({
      phase: 'gallbladder_packaging',
      resumedPhase: 'gallbladder_dissection',
      segmentId: withdrawn.id,
    });
    expect(searchCases(h.store, 'packaging', { cases: 10, hitsPerCase: 10 })).toEqual([]);
    // The real change later is an ordinary one.
    h.bus.emit('inference.phase', ended('gallbladder_dissection', t + 60_000));
    h.bus.emit('inference.phase', started('gallbladder_packaging', t + 60_000));
    expect(h.s.repo.segments(c.id).map((s) => [s.phase, s.endedAtMs])).toEqual([
      ['gallbladder_dissection', t + 60_000],
      ['gallbladder_packaging', null],
    ]);
  });

  it('withdraws the first segment of a case that began during it: the resumed phase takes its span', async () => {
    h = await startEngine(tempDir());
    h.bus.emit('inference.model', model());
    h.bus.emit('inference.phase', started('gallbladder_dissection', Date.now() - 60_000));
    h.bus.emit('inference.phase', ended('gallbladder_dissection', Date.now() - 1000));
    h.bus.emit('inference.phase', started('gallbladder_packaging', Date.now() - 1000));
    const c = h.s.engine.startCase(admin, {});
    const first = h.s.repo.segments(c.id)[0]!;
    expect(first.phase).toBe('gallbladder_packaging');
    h.bus.emit(
      'inference.phase',
      retracted('gallbladder_packaging', first.startedAtMs, 'gallbladder_dissection', Date.now() - 60_000),
    );
    expect(h.s.repo.segments(c.id).map((s) => [s.phase, s.startedAtMs, s.endedAtMs])).toEqual([
      ['gallbladder_dissection', first.startedAtMs, null],
    ]);
  });

  it('allows one open case per room, in the engine and in the database', async () => {
    h = await startEngine(tempDir());
    h.s.engine.startCase(admin, {});
    expect(() => h!.s.engine.startCase(admin, {})).toThrow(
      expect.objectContaining({ code: 'CASE_ALREADY_OPEN' }),
    );
    expect(() =>
      h!.store.db
        .prepare("INSERT INTO cases (id, procedure, started_at, started_by) VALUES ('x', 'p', 1, 'auto')")
        .run(),
    ).toThrow(/UNIQUE/);
    expect(h.s.repo.listCases({ limit: 10, offset: 0 }).total).toBe(1);
  });

  it('opens a case after N s of in-body video, and not while the camera is out of the body', async () => {
    h = await startEngine(tempDir(), { auto_start: true, auto_start_after_s: 0.3 });
    const t0 = Date.now();
    h.bus.emit('capture.source_status', status('endoscope', 'live', t0));
    h.bus.emit('inference.phase', oob(false, t0));
    h.bus.emit('inference.phase', started('preparation', t0));
    await new Promise((r) => setTimeout(r, 600));
    expect(h.s.engine.currentCase).toBeNull();
    // A room camera never counts as in-body video.
    h.bus.emit('capture.source_status', status('room', 'live'));
    expect(h.s.engine.currentCase).toBeNull();

    const tIn = Date.now();
    h.bus.emit('inference.phase', oob(true, tIn));
    const c = await waitFor(() => h!.s.engine.currentCase, 5000, 'the automatic case');
    expect(c.startedBy).toBe('auto');
    expect(c.startedAtMs).toBeGreaterThanOrEqual(tIn);
    expect(c.startedAtMs).toBeLessThan(tIn + 300);
    // The phase detected before the case opened starts its first segment at the case start.
    expect(h.s.repo.segments(c.id).map((s) => [s.phase, s.startedAtMs])).toEqual([
      ['preparation', c.startedAtMs],
    ]);
    expect(h.s.audit.query({ limit: 5, action: 'case.start' })[0]!.actor).toBe('system');
  });

  it('ends a case after M min out of the body, at the start of that spell', async () => {
    h = await startEngine(tempDir(), { auto_end: true, auto_end_after_min: 0.01 });
    h.bus.emit('capture.source_status', status('endoscope', 'live'));
    const c = h.s.engine.startCase(admin, {});
    h.bus.emit('inference.phase', started('preparation', Date.now()));
    const tOut = Date.now();
    h.bus.emit('inference.phase', oob(false, tOut));
    expect(h.recorder.calls).toContain('pause');
    const closed = await waitFor(() => h!.s.repo.getCase(c.id)?.endedAtMs, 5000, 'the automatic end');
    const row = h.s.repo.getCase(c.id)!;
    expect(row.endReason).toBe('auto_out_of_body');
    expect(closed).toBeGreaterThanOrEqual(tOut);
    expect(closed).toBeLessThan(tOut + 200);
    expect(h.s.repo.segments(c.id)[0]!.endedAtMs).toBe(closed);
    expect(eventTypes(h, c.id)).toEqual(['case_started', 'out_of_body_in', 'case_stopped']);
  });

  it('ends a case after M min without signal, recording source loss and recovery events', async () => {
    h = await startEngine(tempDir(), { auto_end: true, auto_end_after_min: 0.01 });
    h.bus.emit('capture.source_status', status('endoscope', 'live'));
    const c = h.s.engine.startCase(admin, {});
    h.bus.emit('capture.source_status', status('endoscope', 'lost'));
    h.bus.emit('capture.source_status', status('endoscope', 'live'));
    await new Promise((r) => setTimeout(r, 900));
    expect(h.s.repo.getCase(c.id)!.endedAtMs).toBeNull();
    h.bus.emit('capture.source_status', status('endoscope', 'stalled'));
    await waitFor(() => h!.s.repo.getCase(c.id)?.endedAtMs, 5000, 'the automatic end');
    expect(h.s.repo.getCase(c.id)!.endReason).toBe('auto_signal_lost');
    expect(eventTypes(h, c.id)).toEqual([
      'case_started',
      'source_lost',
      'source_recovered',
      'source_lost',
      'case_stopped',
    ]);
  });

  it('does not reopen a case right after staff stopped it while the scope is still in', async () => {
    h = await startEngine(tempDir(), { auto_start: true, auto_start_after_s: 0.2 });
    h.bus.emit('capture.source_status', status('endoscope', 'live'));
    const c = await waitFor(() => h!.s.engine.currentCase, 5000, 'the automatic case');
    h.s.engine.stopCase(admin, c.id);
    await new Promise((r) => setTimeout(r, 600));
    expect(h.s.engine.currentCase).toBeNull();
    h.bus.emit('inference.phase', oob(false, Date.now()));
    h.bus.emit('inference.phase', oob(true, Date.now()));
    const next = await waitFor(() => h!.s.engine.currentCase, 5000, 'the next automatic case');
    expect(next.id).not.toBe(c.id);
  });

  it('records a case started out of the body paused, and resumes when the camera goes in', async () => {
    h = await startEngine(tempDir());
    h.bus.emit('inference.phase', oob(false, Date.now()));
    const c = h.s.engine.startCase(admin, {});
    h.bus.emit('inference.phase', oob(true, Date.now()));
    expect(h.recorder.calls).toEqual([`start:${c.id}`, 'pause', 'resume']);
  });

  it('rebuilds the open case and its running phase after a restart, without duplicating it', async () => {
    h = await startEngine(tempDir());
    const c = h.s.engine.startCase(admin, {});
    const t = c.startedAtMs;
    h.bus.emit('inference.phase', started('preparation', t + 10));
    h.bus.emit('inference.phase', started('calot_triangle_dissection', t + 20));
    await h.restart();
    expect(h.s.engine.currentCase?.id).toBe(c.id);
    expect(h.s.live.current().phase?.id).toBe('calot_triangle_dissection');
    expect(h.s.live.current().phase?.startedAtMs).toBe(t + 20);
    h.bus.emit('inference.phase', started('calot_triangle_dissection', t + 500));
    expect(h.s.repo.segments(c.id).map((s) => [s.phase, s.startedAtMs, s.endedAtMs])).toEqual([
      ['preparation', t + 10, t + 20],
      ['calot_triangle_dissection', t + 20, null],
    ]);
    expect(eventTypes(h, c.id)).toContain('case_resumed');
    expect(h.recorder.calls.filter((x) => x === `start:${c.id}`)).toHaveLength(2);
  });

  it('tells the live channel first, and follows the database when a segment cannot be stored', async () => {
    h = await startEngine(tempDir());
    const c = h.s.engine.startCase(admin, {});
    h.bus.emit('inference.phase', started('preparation', c.startedAtMs));
    // A real SQLite failure for one phase (as a full disk would give).
    h.store.db.exec(
      "CREATE TRIGGER t_fail BEFORE INSERT ON phase_segments WHEN NEW.phase = 'clipping_and_cutting' BEGIN SELECT RAISE(ABORT, 'disk trouble'); END;",
    );
    const seen: string[][] = [];
    h.s.live.subscribe((d) => {
      if (d.segments)
        seen.push(d.segments.map((x) => `${x.phase}:${x.endedAtMs === null ? 'open' : 'closed'}`));
    });
    h.bus.emit('inference.phase', started('clipping_and_cutting', c.startedAtMs));
    // The display heard of the change, then followed the database when the write failed.
    expect(seen).toEqual([['preparation:closed', 'clipping_and_cutting:open'], ['preparation:open']]);
    expect(h.s.repo.segments(c.id).map((x) => [x.phase, x.endedAtMs])).toEqual([['preparation', null]]);
    h.store.db.exec('DROP TRIGGER t_fail');
    h.bus.emit('inference.phase', started('clipping_and_cutting', c.startedAtMs));
    expect(h.s.repo.segments(c.id).map((x) => x.phase)).toEqual(['preparation', 'clipping_and_cutting']);
  });

  it('knows the model inference loaded before the engine started', async () => {
    h = await startEngine(tempDir());
    await h.part.stop();
    const m = model(undefined, 'early');
    const part = new CasesPart({
      config: h.config,
      store: () => h!.store,
      bus: h.bus,
      log: pino({ level: 'silent' }),
      currentModel: () => m,
    });
    await part.start();
    try {
      expect(part.services.live.current().modelVersion).toBe('early');
      expect(part.services.live.current().phases).toHaveLength(4);
      expect(part.services.engine.startCase(admin, {}).procedure).toBe('lap_chole');
    } finally {
      await part.stop();
    }
  });

  it('stores closed recording chunks once, and records gaps and model changes as events', async () => {
    h = await startEngine(tempDir());
    const c = h.s.engine.startCase(admin, {});
    const chunk = {
      caseId: c.id,
      source: 'endoscope',
      path: `${c.id}/endoscope/00001.mp4`,
      startedAtMs: c.startedAtMs,
      durationMs: 10_000,
      sizeBytes: 1234,
    };
    h.bus.emit('capture.chunk_closed', chunk);
    h.bus.emit('capture.chunk_closed', chunk);
    h.bus.emit('capture.chunk_closed', { ...chunk, caseId: 'no-such-case', path: 'x/y.mp4' });
    expect(h.s.repo.recordings(c.id).map((r) => r.path)).toEqual([chunk.path]);
    h.bus.emit('capture.recording_gap', {
      source: 'endoscope',
      caseId: c.id,
      fromMs: c.startedAtMs + 1,
      toMs: c.startedAtMs + 2,
    });
    h.bus.emit('inference.model', model(undefined, 'm1'));
    h.bus.emit('inference.model', model(undefined, 'm2'));
    const events = h.s.repo.events(c.id);
    expect(events.map((e) => e.type)).toEqual([
      'case_started',
      'recording_gap',
      'model_changed',
      'model_changed',
    ]);
    expect(events.at(-1)!.data).toEqual({ from: 'm1', to: 'm2' });
  });
});

describe('bookmarks and corrections', () => {
  it('keeps the model output beside relabels and boundary moves', async () => {
    h = await startEngine(tempDir());
    h.bus.emit('inference.model', model());
    const c = h.s.engine.startCase(admin, {});
    const t = c.startedAtMs;
    h.bus.emit('inference.phase', started('preparation', t + 100));
    h.bus.emit('inference.phase', started('calot_triangle_dissection', t + 1000));
    h.bus.emit('inference.phase', started('clipping_and_cutting', t + 2000));
    const [a, b] = h.s.repo.segments(c.id);
    const relabel = h.s.annotations.addCorrection(clinician, c.id, {
      kind: 'relabel',
      segmentId: b!.id,
      phase: 'gallbladder_dissection',
    });
    expect(relabel.modelPhase).toBe('calot_triangle_dissection');
    const move = h.s.annotations.addCorrection(clinician, c.id, {
      kind: 'move_boundary',
      segmentId: b!.id,
      atMs: t + 800,
    });
    expect(move.modelAtMs).toBe(t + 1000);
    const live = h.s.live.current().segments;
    expect(live.slice(0, 2)).toEqual([
      { phase: 'preparation', startedAtMs: t + 100, endedAtMs: t + 800 },
      { phase: 'gallbladder_dissection', startedAtMs: t + 800, endedAtMs: t + 2000 },
    ]);
    // The model's segments are untouched.
    expect(h.s.repo.segments(c.id).map((s) => s.phase)).toEqual([
      'preparation',
      'calot_triangle_dissection',
      'clipping_and_cutting',
    ]);

    const bad = (fn: () => unknown, code: string) => expect(fn).toThrow(expect.objectContaining({ code }));
    bad(
      () =>
        h!.s.annotations.addCorrection(clinician, c.id, {
          kind: 'move_boundary',
          segmentId: b!.id,
          atMs: t + 50,
        }),
      'TIME_OUT_OF_RANGE',
    );
    bad(
      () =>
        h!.s.annotations.addCorrection(clinician, c.id, {
          kind: 'relabel',
          segmentId: a!.id,
          phase: 'nonsense',
        }),
      'PHASE_UNKNOWN',
    );
    bad(
      () =>
        h!.s.annotations.addCorrection(clinician, c.id, {
          kind: 'relabel',
          segmentId: 'nope',
          phase: 'preparation',
        }),
      'SEGMENT_NOT_FOUND',
    );
    bad(
      () => h!.s.annotations.addCorrection(clinician, c.id, { kind: 'relabel', segmentId: a!.id }),
      'CORRECTION_INVALID',
    );
    expect(h.s.repo.corrections(c.id)).toHaveLength(2);

    h.s.annotations.deleteCorrection(clinician, c.id, relabel.id);
    expect(h.s.live.current().segments[1]!.phase).toBe('calot_triangle_dissection');
    const updated = h.s.annotations.updateCorrection(clinician, c.id, move.id, { atMs: t + 900 });
    expect(updated.correctedAtMs).toBe(t + 900);
  });

  it('keeps bookmarks within the case and audits every change', async () => {
    h = await startEngine(tempDir());
    const c = h.s.engine.startCase(admin, {});
    const bm = h.s.annotations.addBookmark(clinician, c.id, { note: 'bleeding at the cystic artery' });
    expect(bm.atMs).toBeGreaterThanOrEqual(c.startedAtMs);
    expect(() =>
      h!.s.annotations.addBookmark(clinician, c.id, { note: 'x', atMs: c.startedAtMs - 1 }),
    ).toThrow(CaseError);
    h.s.annotations.updateBookmark(clinician, c.id, bm.id, { note: 'controlled bleeding' });
    h.s.annotations.deleteBookmark(clinician, c.id, bm.id);
    expect(h.s.repo.bookmarks(c.id)).toEqual([]);
    expect(() => h!.s.annotations.deleteBookmark(clinician, c.id, bm.id)).toThrow(
      expect.objectContaining({ code: 'BOOKMARK_NOT_FOUND' }),
    );
    const actions = h.s.audit.query({ limit: 10, actor: 'u-clin' }).map((a) => a.action);
    expect(actions).toEqual(['bookmark.delete', 'bookmark.update', 'bookmark.create']);
    // No note text in the audit log.
    expect(JSON.stringify(h.s.audit.query({ limit: 50 }))).not.toContain('bleeding');
  });
});

describe('search', () => {
  it('finds cases by phase name, event type, bookmark note, label and date, with jump-to times', async () => {
    let clock = Date.now();
    h = await startEngine(tempDir(), {}, () => clock);
    const c = h.s.engine.startCase(admin, { label: 'Doe appendix' });
    const t = c.startedAtMs;
    h.bus.emit('inference.phase', started('calot_triangle_dissection', t + 10));
    h.bus.emit('inference.phase', oob(false, t + 20));
    clock = t + 60;
    const bm = h.s.annotations.addBookmark(clinician, c.id, { note: 'Unexpected haemorrhage', atMs: t + 30 });
    h.bus.emit('inference.phase', ended('calot_triangle_dissection', t + 40));
    h.s.engine.stopCase(admin, c.id);
    const other = h.s.engine.startCase(admin, { label: 'other' });

    const find = (q: string) => searchCases(h!.store, q, { cases: 10, hitsPerCase: 10 });
    expect(find('calot').map((r) => r.caseId)).toEqual([c.id]);
    expect(find('calot')[0]!.hits.find((x) => x.kind === 'phase')!.atMs).toBe(t + 10);
    expect(find('haemorr')[0]!.hits.map((x) => [x.kind, x.atMs])).toEqual([['bookmark', bm.atMs]]);
    expect(find('out of body').map((r) => r.caseId)).toEqual([c.id]);
    expect(find('doe').map((r) => r.caseId)).toEqual([c.id]);
    const day = new Date(t);
    const iso = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
    expect(
      find(iso)
        .map((r) => r.caseId)
        .sort(),
    ).toEqual([c.id, other.id].sort());
    // Every word must match; FTS syntax in the input is taken literally.
    expect(find('calot other')).toEqual([]);
    expect(find('"calot" OR NEAR(')).toEqual([]);
    expect(find('***')).toEqual([]);
  });
});

describe('live state', () => {
  it('sends deltas for phase changes and keeps PHI in the case object only', async () => {
    h = await startEngine(tempDir());
    const deltas: Array<Partial<LiveState>> = [];
    h.s.live.subscribe((d) => deltas.push(d));
    h.bus.emit('inference.model', model());
    h.bus.emit('capture.source_status', status('endoscope', 'live'));
    const c = h.s.engine.startCase(admin, { label: 'PHI label', surgeonId: 's-1' });
    h.bus.emit('inference.phase', started('preparation', c.startedAtMs + 5));
    const snap = h.s.live.snapshot();
    expect(snap.state.case).toEqual({
      id: c.id,
      procedure: 'lap_chole',
      startedAtMs: c.startedAtMs,
      label: 'PHI label',
      surgeonId: 's-1',
    });
    expect(snap.state.phase).toMatchObject({
      id: 'preparation',
      displayName: 'preparation',
      startedAtMs: c.startedAtMs + 5,
    });
    expect(snap.state.sources).toEqual([
      { name: 'endoscope', role: 'endoscope', state: 'live', outOfBody: false, recording: false, fpsIn: 25 },
    ]);
    expect(snap.state.prediction?.basis).toBe('model');
    expect(deltas.filter((d) => d.phase).at(-1)!.phase?.id).toBe('preparation');
    expect(snap.seq).toBe(deltas.length);
    const keys = new Set(deltas.flatMap((d) => Object.keys(d)));
    for (const k of ['case', 'phase', 'segments', 'sources', 'phases', 'modelVersion', 'prediction'])
      expect(keys).toContain(k);
  });
});
