import { describe, expect, it } from 'vitest';
import {
  type FilterModel,
  PhaseFilter,
  type PhaseFilterOptions,
} from '../../inference/filter/phase-filter.js';
import { Rng } from '../../inference/sim/rng.js';
import { buildTimeline } from '../../inference/timeline.js';
import type { PhaseEvent } from '../../inference/types.js';

const MODEL: FilterModel = {
  version: '1.2.3',
  classes: ['a', 'b', 'c', 'oob'],
  phases: [
    { id: 'a', typicalDurationS: 60 },
    { id: 'b', typicalDurationS: 60 },
    { id: 'c', typicalDurationS: 60 },
  ],
  transitions: { a: ['b'], b: ['c'], c: [] },
  startPhases: ['a'],
  outOfBodyClass: 'oob',
};

const OPTS: PhaseFilterOptions = {
  substates: 3,
  durationScale: 1,
  probabilityFloor: 0.02,
  emissionExponent: 1,
  resumeAnywhereProbability: 0.05,
  switchProbability: 0.8,
  minPhaseDurationS: 3,
  outOfBodyThreshold: 0.5,
  outOfBodyEnterS: 1,
  outOfBodyExitS: 2,
  boundaryLookbackS: 30,
  boundaryLagS: null,
  retractWindowS: 0,
  shortestPhaseS: 0,
};

const FPS = 5;

/** a reported, b reported, b withdrawn (a goes on), then a real change from a. */
const WITHDRAWN_THEN_CHANGED: Array<PhaseEvent['type']> = [
  'phase_started',
  'phase_ended',
  'phase_started',
  'phase_retracted',
  'phase_ended',
  'phase_started',
];

/** A noisy classifier: the true class gets `p`, errors go to a random other class. */
function noisy(rng: Rng, truth: number, accuracy: number): number[] {
  const probs = [0.02, 0.02, 0.02, 0.02];
  const k = rng.chance(accuracy) ? truth : (truth + 1 + rng.int(0, 2)) % 4;
  probs[k] = 0.94;
  return probs;
}

function run(
  filter: PhaseFilter,
  truthAt: (tS: number) => number,
  seconds: number,
  rng: Rng,
  accuracy: number,
) {
  const events: PhaseEvent[] = [];
  let raw = 0;
  let online = 0;
  const n = seconds * FPS;
  for (let i = 0; i < n; i++) {
    const tS = i / FPS;
    const truth = truthAt(tS);
    const probs = noisy(rng, truth, accuracy);
    if (probs.indexOf(Math.max(...probs)) === truth) raw++;
    events.push(...filter.update(tS * 1000, probs));
    const s = filter.state();
    if (truth < 3 && s.phase === MODEL.classes[truth]) online++;
  }
  return { events, raw: raw / n, online: online / n };
}

describe('PhaseFilter (HMM forward filtering + hysteresis)', () => {
  it('turns a 70 %-accurate frame stream into the right phase sequence with back-dated boundaries', () => {
    const filter = new PhaseFilter('endo', MODEL, OPTS);
    const truth = (t: number) => (t < 60 ? 0 : t < 130 ? 1 : 2);
    const { events, raw, online } = run(filter, truth, 200, new Rng(1), 0.7);
    const started = events.filter((e) => e.type === 'phase_started');
    expect(started.map((e) => e.type === 'phase_started' && e.phase)).toEqual(['a', 'b', 'c']);
    const atS = started.map((e) => e.atMs / 1000);
    expect(Math.abs(atS[1]! - 60)).toBeLessThan(3);
    expect(Math.abs(atS[2]! - 130)).toBeLessThan(3);
    expect(online).toBeGreaterThan(raw + 0.15);
    for (const e of events) expect(e.modelVersion).toBe('1.2.3');
    // Every phase_started after the first is preceded by the previous phase's end at the same instant.
    const ended = events.filter((e) => e.type === 'phase_ended');
    expect(ended.map((e) => e.type === 'phase_ended' && e.phase)).toEqual(['a', 'b']);
    expect(ended.map((e) => e.atMs)).toEqual(started.slice(1).map((e) => e.atMs));
  });

  it('places each boundary of a quick return (b → a → b) after the previous one', () => {
    const model = { ...MODEL, transitions: { a: ['b'], b: ['a', 'c'], c: [] } };
    const filter = new PhaseFilter('endo', model, OPTS);
    const truth = (t: number) => (t < 30 ? 0 : t < 45 ? 1 : t < 57 ? 0 : 1);
    const { events } = run(filter, truth, 80, new Rng(3), 0.8);
    const started = events.filter((e) => e.type === 'phase_started');
    expect(started.map((e) => e.type === 'phase_started' && e.phase)).toEqual(['a', 'b', 'a', 'b']);
    const atS = started.map((e) => e.atMs / 1000);
    for (const [i, want] of [
      [1, 30],
      [2, 45],
      [3, 57],
    ] as const)
      expect(Math.abs(atS[i]! - want)).toBeLessThan(2);
  });

  it("moves boundaries back by the model's boundaryLagS (a config value overrides it), never before the previous one", () => {
    // The classifier sees each new phase 2 s after it began (as a view that changes gradually does).
    const truth = (t: number) => (t < 60 ? 0 : t < 130 ? 1 : 2);
    const seen = (t: number) => truth(Math.max(0, t - 2));
    const starts = (model: typeof MODEL & { boundaryLagS?: number }, lag: number | null) => {
      const filter = new PhaseFilter('endo', model, { ...OPTS, boundaryLagS: lag });
      const { events } = run(filter, seen, 200, new Rng(5), 0.9);
      return events.filter((e) => e.type === 'phase_started').map((e) => e.atMs / 1000);
    };
    const plain = starts(MODEL, null);
    const lagged = starts({ ...MODEL, boundaryLagS: 2 }, null);
    expect(plain).toHaveLength(3);
    expect(lagged).toHaveLength(3);
    for (const [i, want] of [
      [1, 60],
      [2, 130],
    ] as const) {
      expect(plain[i]! - want).toBeGreaterThan(1);
      expect(lagged[i]!).toBeCloseTo(plain[i]! - 2, 6);
      expect(Math.abs(lagged[i]! - want)).toBeLessThan(1);
    }
    // The config value wins over the model's; an absurd lag stops at the previous boundary.
    expect(starts({ ...MODEL, boundaryLagS: 2 }, 0)).toEqual(plain);
    const huge = starts(MODEL, 30);
    expect(huge[1]!).toBeGreaterThanOrEqual(huge[0]!);
    expect(huge[2]!).toBeGreaterThanOrEqual(huge[1]!);
    expect(huge[2]!).toBeLessThan(plain[2]!);
  });

  it('ignores a confident burst shorter than the minimum phase duration', () => {
    const filter = new PhaseFilter('endo', MODEL, OPTS);
    const events: PhaseEvent[] = [];
    for (let i = 0; i < 60 * FPS; i++) {
      const tS = i / FPS;
      // 1.5 s of confident "b" in the middle of "a".
      const probs = tS >= 30 && tS < 31.5 ? [0.01, 0.97, 0.01, 0.01] : [0.9, 0.05, 0.04, 0.01];
      events.push(...filter.update(tS * 1000, probs));
    }
    expect(
      events.filter((e) => e.type === 'phase_started').map((e) => e.type === 'phase_started' && e.phase),
    ).toEqual(['a']);
  });

  it('follows the grammar: a → c is not allowed, so evidence for c while in a does not jump there', () => {
    const strictModel = { ...MODEL, transitions: { a: ['b'], b: ['c'], c: [] } };
    const filter = new PhaseFilter('endo', strictModel, { ...OPTS, resumeAnywhereProbability: 0 });
    for (let i = 0; i < 30 * FPS; i++) filter.update((i / FPS) * 1000, [0.9, 0.05, 0.04, 0.01]);
    // Ten seconds of frames saying "c"; the only way there is through b.
    for (let i = 0; i < 10 * FPS; i++) filter.update((30 + i / FPS) * 1000, [0.3, 0.05, 0.64, 0.01]);
    expect(filter.state().phase).toBe('a');
  });

  it('treats out of body as its own state: phases freeze, events back-dated to its start', () => {
    const filter = new PhaseFilter('endo', MODEL, OPTS);
    const events: PhaseEvent[] = [];
    const feed = (fromS: number, toS: number, probs: number[]) => {
      for (let t = fromS; t < toS; t += 1 / FPS) events.push(...filter.update(t * 1000, probs));
    };
    feed(0, 20, [0.9, 0.05, 0.04, 0.01]);
    feed(20, 30, [0.01, 0.3, 0.01, 0.68]); // out of body; the phase columns say "b" but must not count
    expect(filter.state().outOfBody).toBe(true);
    expect(filter.state().phase).toBe('a');
    feed(30, 40, [0.9, 0.05, 0.04, 0.01]);
    const oob = events.filter((e) => e.type.startsWith('out_of_body'));
    expect(oob.map((e) => e.type)).toEqual(['out_of_body_started', 'out_of_body_ended']);
    expect(oob[0]!.atMs).toBeCloseTo(20_000, -1);
    expect(oob[1]!.atMs).toBeCloseTo(30_000, -1);
    expect(events.filter((e) => e.type === 'phase_started')).toHaveLength(1);
  });

  it('needs out_of_body_enter_s of out-of-body frames: a single bright frame is not out of body', () => {
    const filter = new PhaseFilter('endo', MODEL, OPTS);
    const events: PhaseEvent[] = [];
    for (let i = 0; i < 20 * FPS; i++) {
      const probs = i === 50 || i === 51 ? [0.01, 0.01, 0.01, 0.97] : [0.9, 0.05, 0.04, 0.01];
      events.push(...filter.update((i / FPS) * 1000, probs));
    }
    expect(events.some((e) => e.type === 'out_of_body_started')).toBe(false);
  });

  it('resumes mid-case (daemon restart): starts in a non-start phase when the frames say so', () => {
    const filter = new PhaseFilter('endo', MODEL, OPTS);
    for (let i = 0; i < 30 * FPS; i++) filter.update((i / FPS) * 1000, [0.03, 0.03, 0.93, 0.01]);
    expect(filter.state().phase).toBe('c');
  });

  it('withdraws a reported phase when the phase before it comes back and the grammar has no way back (retractWindowS)', () => {
    // a → b → c, no returns. Truth: a until 80 s, then b. From 20 s to 32 s the classifier
    // leans to b (a frame of a with a tool of b in view), then sees a clearly again.
    const probsAt = (tS: number) =>
      tS < 20
        ? [0.94, 0.02, 0.02, 0.02]
        : tS < 32
          ? [0.3, 0.66, 0.02, 0.02]
          : tS < 80
            ? [0.94, 0.02, 0.02, 0.02]
            : [0.02, 0.94, 0.02, 0.02];
    const replay = (retractWindowS: number) => {
      const filter = new PhaseFilter('endo', MODEL, { ...OPTS, retractWindowS });
      const events: PhaseEvent[] = [];
      const phases: Array<string | undefined> = [];
      for (let i = 0; i < 110 * FPS; i++) {
        events.push(...filter.update((i / FPS) * 1000, probsAt(i / FPS)));
        phases.push(filter.state().phase);
      }
      const timeline = buildTimeline(events).phases.map((p) => [p.phase, Math.round(p.startMs / 1000)]);
      return { events, phases, timeline };
    };
    // Off: the return to a is reported as a change the grammar does not allow.
    const off = replay(0);
    expect(off.timeline.map(([p]) => p)).toEqual(['a', 'b', 'a', 'b']);
    expect(off.events.some((e) => e.type === 'phase_retracted')).toBe(false);

    const on = replay(60);
    const retracted = on.events.filter((e) => e.type === 'phase_retracted');
    expect(retracted).toHaveLength(1);
    const r = retracted[0]!;
    if (r.type !== 'phase_retracted') throw new Error('unreachable');
    expect([r.phase, r.resumedPhase, r.resumedAtMs, r.modelVersion]).toEqual(['b', 'a', 0, '1.2.3']);
    expect(r.atMs / 1000).toBe(off.timeline[1]![1]);
    // Neither a phase_ended nor a phase_started for the withdrawal: a simply goes on.
    const types = on.events.map((e) => e.type);
    expect(types).toEqual(WITHDRAWN_THEN_CHANGED);
    expect(on.timeline[0]).toEqual(['a', 0]);
    expect(on.timeline.map(([p]) => p)).toEqual(['a', 'b']);
    expect(Math.abs((on.timeline[1]![1] as number) - 80)).toBeLessThanOrEqual(1);
    // The live phase is a again as soon as the withdrawal is confirmed.
    expect(on.phases[50 * FPS]).toBe('a');
    // A window shorter than the withdrawn phase's age at the return: reported as a change.
    expect(replay(3).timeline.map(([p]) => p)).toEqual(['a', 'b', 'a', 'b']);
  });

  it('withdraws a phase too short to be one when the grammar allows the change around it directly (shortestPhaseS)', () => {
    // a → b → c and a → c. Truth: a until 60 s, then c; for 5 s after the change the view looks like b.
    const model = { ...MODEL, transitions: { a: ['b', 'c'], b: ['c'], c: [] } };
    const probsAt = (tS: number) =>
      tS < 60 ? [0.94, 0.02, 0.02, 0.02] : tS < 65 ? [0.02, 0.94, 0.02, 0.02] : [0.02, 0.02, 0.94, 0.02];
    const replay = (shortestPhaseS: number, transitions = model.transitions) => {
      const filter = new PhaseFilter('endo', { ...model, transitions }, { ...OPTS, shortestPhaseS });
      const events: PhaseEvent[] = [];
      for (let i = 0; i < 100 * FPS; i++) events.push(...filter.update((i / FPS) * 1000, probsAt(i / FPS)));
      return {
        events,
        timeline: buildTimeline(events).phases.map((p) => [p.phase, Math.round(p.startMs / 1000)]),
      };
    };
    expect(replay(0).timeline).toEqual([
      ['a', 0],
      ['b', 60],
      ['c', 65],
    ]);
    const on = replay(8);
    expect(on.timeline.map(([p]) => p)).toEqual(['a', 'c']);
    // The b frames fit a and c equally: the change is placed within them, near the true one.
    expect(on.timeline[1]![1]).toBeGreaterThanOrEqual(60);
    expect(on.timeline[1]![1]).toBeLessThanOrEqual(65);
    expect(on.events.map((e) => e.type)).toEqual(WITHDRAWN_THEN_CHANGED);
    // Kept when the grammar needs it (no a → c), or when it lasted long enough.
    expect(replay(8, { a: ['b'], b: ['c'], c: [] }).timeline.map(([p]) => p)).toEqual(['a', 'b', 'c']);
    expect(replay(4).timeline.map(([p]) => p)).toEqual(['a', 'b', 'c']);
  });

  it('reports the phase the grammar needs between two when the frames went through it too quickly to confirm', () => {
    // a → b → c only. Truth: a until 60 s, b for 2 s (too short for the 3 s hysteresis), then c.
    const probsAt = (tS: number) =>
      tS < 60 ? [0.94, 0.02, 0.02, 0.02] : tS < 62 ? [0.3, 0.66, 0.02, 0.02] : [0.02, 0.02, 0.94, 0.02];
    const filter = new PhaseFilter('endo', MODEL, OPTS);
    const events: PhaseEvent[] = [];
    for (let i = 0; i < 100 * FPS; i++) events.push(...filter.update((i / FPS) * 1000, probsAt(i / FPS)));
    const timeline = buildTimeline(events).phases.map((p) => [p.phase, p.startMs / 1000]);
    expect(timeline).toEqual([
      ['a', 0],
      ['b', 60],
      ['c', 62],
    ]);
    const b = events.find((e) => e.type === 'phase_started' && e.phase === 'b');
    expect(b?.type === 'phase_started' && b.confidence).toBeCloseTo(0.66 / 0.98, 3);
    // With a → c allowed, the same frames are a plain a → c change.
    const direct = new PhaseFilter(
      'endo',
      { ...MODEL, transitions: { a: ['b', 'c'], b: ['c'], c: [] } },
      OPTS,
    );
    const plain: PhaseEvent[] = [];
    for (let i = 0; i < 100 * FPS; i++) plain.push(...direct.update((i / FPS) * 1000, probsAt(i / FPS)));
    expect(buildTimeline(plain).phases.map((p) => p.phase)).toEqual(['a', 'c']);
  });
});
