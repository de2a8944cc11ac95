import { describe, expect, it } from 'vitest';
import { evaluate, targetShortfalls } from '../../inference/evaluation.js';
import { buildLabels } from '../../inference/sim/case-script.js';
import { buildTimeline } from '../../inference/timeline.js';
import type { FrameResult, PhaseEvent } from '../../inference/types.js';

const classes = ['p1', 'p2', 'p3', 'oob'];
const labels = {
  ...buildLabels(
    1,
    25,
    30,
    [
      { phase: 'p1', startS: 0, endS: 10 },
      { phase: 'p2', startS: 10, endS: 20 },
      { phase: 'p3', startS: 20, endS: 30 },
    ],
    [{ startS: 4, endS: 6 }],
  ),
  phases: ['p1', 'p2', 'p3'],
};

function ev(
  type: 'phase_started' | 'phase_ended' | 'out_of_body_started' | 'out_of_body_ended',
  atS: number,
  phase?: string,
): PhaseEvent {
  const base = { source: 's', atMs: atS * 1000, modelVersion: '1' };
  if (type === 'phase_started') return { ...base, type, phase: phase!, confidence: 0.9 };
  if (type === 'phase_ended') return { ...base, type, phase: phase! };
  return { ...base, type };
}

function frames(raw: (tS: number) => string): FrameResult[] {
  return Array.from({ length: 150 }, (_, i) => ({
    source: 's',
    seq: i,
    tsMs: i * 200,
    probabilities: [0.25, 0.25, 0.25, 0.25],
    rawClass: raw(i / 5),
    filteredPhase: undefined,
    outOfBody: false,
    confidence: 0,
    latencyMs: 1,
  }));
}

/** What the filter found: each boundary 1 s off, the out-of-body span exact. */
function detected(): PhaseEvent[] {
  return [
    ev('phase_started', 0, 'p1'),
    ev('out_of_body_started', 4),
    ev('out_of_body_ended', 6),
    ev('phase_ended', 11, 'p1'),
    ev('phase_started', 11, 'p2'),
    ev('phase_ended', 19, 'p2'),
    ev('phase_started', 19, 'p3'),
  ];
}

describe('replay evaluation', () => {
  it('scores a timeline: accuracy, boundary errors, out of body as its own class', () => {
    const e = evaluate(
      frames(() => 'p1'),
      buildTimeline(detected()),
      labels,
      classes,
      'oob',
    );
    expect(e.frames).toBe(150);
    // 1 s late at 10 s and 1 s early at 20 s: 10 of 150 frames wrong.
    expect(e.accuracy).toBeCloseTo(140 / 150, 4);
    // Raw says p1 everywhere: right only for p1 frames outside the out-of-body span.
    expect(e.rawAccuracy).toBeCloseTo(40 / 150, 4);
    expect(e.transitions).toBe(2);
    expect(e.missedTransitions).toBe(0);
    expect(e.boundaryErrorsS).toEqual([1, 1]);
    expect(e.boundaryErrorMedianS).toBe(1);
    expect(e.perClass.oob).toMatchObject({ precision: 1, recall: 1, jaccard: 1, frames: 10 });
    // p2 detected from 11 s to 19 s: 40 of its 50 frames.
    expect(e.perClass.p2!.recall).toBeCloseTo(40 / 50, 4);
    expect(e.perClass.p2!.precision).toBe(1);
  });

  it('counts a transition between the wrong phases, or too far away, as missed', () => {
    const events = [ev('phase_started', 0, 'p1'), ev('phase_ended', 10, 'p1'), ev('phase_started', 10, 'p3')];
    const e = evaluate(
      frames(() => 'p1'),
      buildTimeline(events),
      labels,
      classes,
      'oob',
      5,
    );
    expect(e.missedTransitions).toBe(2);
    expect(e.spuriousTransitions).toBe(1);
    expect(e.boundaryErrorMedianS).toBeNull();
  });

  it("names each way a case falls short of issue 4's target, and nothing when it meets it", () => {
    const good = evaluate(
      frames((t) => (t < 10 ? 'p1' : t < 20 ? 'p2' : 'p3')),
      buildTimeline(detected()),
      labels,
      classes,
      'oob',
    );
    // 93.3 % after the filter (1 s off at each boundary) against a raw 93.3 %: not better.
    expect(targetShortfalls(good)).toEqual(['accuracy 93.3 % < 95 %', 'filtered 93.3 % ≤ raw 93.3 %']);
    expect(targetShortfalls({ ...good, accuracy: 0.96, rawAccuracy: 0.9 })).toEqual([]);
    expect(
      targetShortfalls({
        ...good,
        accuracy: 0.96,
        rawAccuracy: 0.9,
        missedTransitions: 1,
        boundaryErrorMedianS: 6,
      }),
    ).toEqual(['1 missed transition(s)', 'median boundary error 6.0 s > 5 s']);
  });
});
