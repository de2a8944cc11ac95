import { afterEach, describe, expect, it } from 'vitest';
import { type CaseRepo, caseStats, predict } from '../../daemon/cases/index.js';
import { tempDir } from '../helpers/tmp.js';
import { type EngineHarness, model, startEngine, started } from './engine-harness.js';

const admin = { kind: 'user', id: 'u-admin', username: 'alice', role: 'admin' } as const;
const S = 1000;
const DAY = 86_400_000;

/** Writes a completed case with back-to-back segments of the given durations (s). */
function addCompleted(
  repo: CaseRepo,
  startMs: number,
  phases: Array<[string, number]>,
  opts: { procedure?: string; surgeonId?: string } = {},
): string {
  return repo.tx(() => {
    const c = repo.insertCase({
      procedure: opts.procedure ?? 'lap_chole',
      surgeonId: opts.surgeonId ?? null,
      label: null,
      startedAtMs: startMs,
      startedBy: 'auto',
      modelVersion: 'm1',
      nowMs: startMs,
    });
    let t = startMs;
    for (const [phase, durS] of phases) {
      const seg = repo.insertSegment({
        caseId: c.id,
        phase,
        startedAtMs: t,
        confidence: 1,
        modelVersion: 'm1',
        nowMs: t,
      });
      t += durS * S;
      repo.closeSegment(seg.id, t, t);
    }
    repo.closeCase(c.id, t, 'manual', t);
    return c.id;
  });
}

// Five past cases: preparation 100..500 s, calot 600..1000 s, clipping 40..80 s, and a
// gallbladder dissection in only two of them (so it is not expected in a typical case).
const PREP = [100, 200, 300, 400, 500];
const CALOT = [600, 700, 800, 900, 1000];
const CLIP = [40, 50, 60, 70, 80];
function history(
  repo: CaseRepo,
  base: number,
  surgeonOf: (i: number) => string | undefined = () => undefined,
) {
  return PREP.map((_, i) =>
    addCompleted(
      repo,
      base + i * DAY,
      [
        ['preparation', PREP[i]!],
        ['calot_triangle_dissection', CALOT[i]!],
        ['clipping_and_cutting', CLIP[i]!],
        ...(i < 2 ? [['gallbladder_dissection', 300] as [string, number]] : []),
      ],
      { surgeonId: surgeonOf(i) },
    ),
  );
}

let h: EngineHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('predictions from this room’s history', () => {
  it('predicts the phase end from past durations longer than the time spent, and the case end from later medians', async () => {
    const T0 = Date.UTC(2026, 5, 1, 8);
    let clock = T0 + 10 * DAY;
    h = await startEngine(tempDir(), { min_history_cases: 3 }, () => clock);
    history(h.s.repo, T0);
    // Another procedure's history must not count.
    addCompleted(h.s.repo, T0, [['preparation', 5000]], { procedure: 'appendectomy' });
    h.bus.emit('inference.model', model());
    const c = h.s.engine.startCase(admin, {});
    h.bus.emit('inference.phase', started('preparation', clock));
    const prepStart = clock;

    clock = prepStart + 250 * S;
    h.s.engine.publish();
    let p = h.s.live.current().prediction!;
    expect(p.basis).toBe('history');
    // Past preparations longer than 250 s: 300, 400, 500 → median 400 s.
    expect(p.phaseEndMs).toBe(prepStart + 400 * S);
    // Then calot (median 800 s) and clipping (median 60 s); gallbladder dissection (2 of 5) is left out.
    expect(p.remaining).toEqual([
      { phase: 'calot_triangle_dissection', expectedDurationMs: 800 * S },
      { phase: 'clipping_and_cutting', expectedDurationMs: 60 * S },
    ]);
    expect(p.caseEndMs).toBe(prepStart + (400 + 800 + 60) * S);

    // Longer than any past preparation: it is expected to end now.
    clock = prepStart + 600 * S;
    h.s.engine.publish();
    p = h.s.live.current().prediction!;
    expect(p.phaseEndMs).toBe(clock);
    expect(p.caseEndMs).toBe(clock + 860 * S);

    // In calot for 650 s: longer past ones are 700, 800, 900, 1000 → median 850 s.
    h.bus.emit('inference.phase', started('calot_triangle_dissection', clock));
    const calotStart = clock;
    clock = calotStart + 650 * S;
    h.s.engine.publish();
    p = h.s.live.current().prediction!;
    expect(p.phaseEndMs).toBe(calotStart + 850 * S);
    expect(p.caseEndMs).toBe(calotStart + (850 + 60) * S);
    expect(h.s.engine.currentCase?.id).toBe(c.id);
  });

  it('falls back to the model’s typical durations when the history is too short', async () => {
    const T0 = Date.UTC(2026, 5, 1, 8);
    let clock = T0 + 10 * DAY;
    h = await startEngine(tempDir(), { min_history_cases: 10 }, () => clock);
    history(h.s.repo, T0);
    h.bus.emit('inference.model', model([100, 200, 300, 400]));
    h.s.engine.startCase(admin, {});
    expect(h.s.live.current().prediction).toMatchObject({
      basis: 'model',
      phaseEndMs: null,
      caseEndMs: clock + 1000 * S,
    });
    h.bus.emit('inference.phase', started('preparation', clock));
    const start = clock;
    clock += 50 * S;
    h.s.engine.publish();
    const p = h.s.live.current().prediction!;
    expect(p.basis).toBe('model');
    expect(p.phaseEndMs).toBe(start + 100 * S);
    expect(p.caseEndMs).toBe(start + (100 + 200 + 300 + 400) * S);
  });

  it('says nothing when neither history nor a model is available', () => {
    expect(
      predict({
        nowMs: 1,
        current: { phase: 'a', startedAtMs: 0 },
        visited: new Set(['a']),
        phaseOrder: [],
        typicalMs: new Map(),
        history: [],
        minHistory: 1,
      }),
    ).toEqual({ phaseEndMs: null, caseEndMs: null, basis: 'none', remaining: [] });
  });

  it('skips phases already visited (a return to an earlier phase)', () => {
    const history = [1, 2, 3].map(
      () =>
        new Map([
          ['a', 10],
          ['b', 20],
          ['c', 30],
        ]),
    );
    const p = predict({
      nowMs: 1000,
      current: { phase: 'a', startedAtMs: 1000 },
      visited: new Set(['a', 'b']),
      phaseOrder: ['a', 'b', 'c'],
      typicalMs: new Map(),
      history,
      minHistory: 3,
    });
    expect(p.remaining).toEqual([{ phase: 'c', expectedDurationMs: 30 }]);
    expect(p.caseEndMs).toBe(1000 + 10 + 30);
  });
});

describe('statistics', () => {
  it('compares a case with the room’s history (median, p10, p90) and with the same surgeon’s cases', async () => {
    const T0 = Date.UTC(2026, 5, 1, 8);
    h = await startEngine(tempDir());
    history(h.s.repo, T0, (i) => (i < 2 ? 's-1' : 's-2'));
    const id = addCompleted(
      h.s.repo,
      T0 + 9 * DAY,
      [
        ['preparation', 250],
        ['calot_triangle_dissection', 500],
      ],
      { surgeonId: 's-1' },
    );
    const s = caseStats(
      h.s.repo,
      h.s.history,
      id,
      ['preparation', 'calot_triangle_dissection', 'clipping_and_cutting'],
      Date.now(),
    )!;
    expect(s.historyCases).toBe(5);
    expect(s.surgeonHistoryCases).toBe(2);
    const prep = s.phases.find((p) => p.phase === 'preparation')!;
    expect(prep.durationMs).toBe(250 * S);
    expect(prep.history).toEqual({ cases: 5, medianMs: 300 * S, p10Ms: 140 * S, p90Ms: 460 * S });
    expect(prep.surgeon).toEqual({ cases: 2, medianMs: 150 * S, p10Ms: 110 * S, p90Ms: 190 * S });
    const clip = s.phases.find((p) => p.phase === 'clipping_and_cutting')!;
    expect(clip.durationMs).toBe(0);
    expect(clip.history?.medianMs).toBe(60 * S);
    expect(s.phases.find((p) => p.phase === 'gallbladder_dissection')!.history?.cases).toBe(2);
  });

  it('uses corrected timelines: a relabel moves time from one phase to another', async () => {
    const T0 = Date.UTC(2026, 5, 1, 8);
    h = await startEngine(tempDir());
    const id = addCompleted(h.s.repo, T0, [
      ['preparation', 100],
      ['calot_triangle_dissection', 200],
    ]);
    const other = addCompleted(h.s.repo, T0 + DAY, [['preparation', 10]]);
    const seg = h.s.repo.segments(id)[1]!;
    h.s.annotations.addCorrection(admin, id, { kind: 'relabel', segmentId: seg.id, phase: 'preparation' });
    const s = caseStats(h.s.repo, h.s.history, other, [], Date.now())!;
    expect(s.phases.find((p) => p.phase === 'preparation')!.history?.medianMs).toBe(300 * S);
    expect(s.phases.find((p) => p.phase === 'calot_triangle_dissection')).toBeUndefined();
  });
});
