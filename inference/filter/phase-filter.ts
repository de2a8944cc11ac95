import type { PhaseEvent } from '../types.js';
import { type HmmOptions, PhaseHmm } from './phase-hmm.js';

export interface PhaseFilterOptions extends HmmOptions {
  /** Filtered probability the new phase must reach… */
  switchProbability: number;
  /** …and hold (as the most likely phase) this long before it is reported. */
  minPhaseDurationS: number;
  outOfBodyThreshold: number;
  outOfBodyEnterS: number;
  outOfBodyExitS: number;
  /**
   * When a new phase is confirmed, its start is placed at the most likely change point in
   * the last boundaryLookbackS seconds of frames (old phase before, new phase after).
   */
  boundaryLookbackS: number;
  /**
   * Overrides the model's boundaryLagS (seconds the classifier takes to recognise a new
   * phase; confirmed boundaries are placed that much before the change point). null: the
   * model's value, 0 when it has none.
   */
  boundaryLagS: number | null;
  /**
   * A reported phase younger than this (seconds) is withdrawn when the phase before it
   * becomes the most likely again (switchProbability, minPhaseDurationS) and the grammar
   * allows no way back to it: the filter then holds that the earlier change never happened.
   * 0: never withdrawn (the change back is reported as a new phase).
   */
  retractWindowS: number;
  /**
   * A reported phase that lasts less than this (seconds) until the next confirmed change is
   * withdrawn when the grammar allows the change from the phase before it to the next one
   * directly: the view during a change between two phases can look like a third for a few
   * seconds. 0 keeps every phase.
   */
  shortestPhaseS: number;
}

/** What the filter needs from a model manifest. */
export interface FilterModel {
  version: string;
  classes: readonly string[];
  phases: ReadonlyArray<{ id: string; typicalDurationS: number }>;
  transitions: Readonly<Record<string, readonly string[]>>;
  startPhases: readonly string[];
  outOfBodyClass?: string;
  /** The classifier's typical delay in recognising a new phase, from validation cases. */
  boundaryLagS?: number;
}

export interface FilterState {
  /** The reported (committed) phase; undefined until the first phase is established. */
  phase: string | undefined;
  /** Filtered probability of the reported phase now. */
  confidence: number;
  outOfBody: boolean;
  /** Filtered probability per phase (manifest phase order). */
  posterior: number[];
}

/**
 * The temporal filter of one source: HMM forward filtering over the phase grammar, then
 * hysteresis (a new phase must be the most likely one with at least switchProbability for
 * minPhaseDurationS) before it is reported, back-dated to when it became the most likely.
 * The reported timeline keeps to the grammar: a phase is withdrawn when the one before it
 * comes back and there is no way back to it (retractWindowS) or when it lasted too short a
 * time to be a phase (shortestPhaseS), and a forbidden change is reported through the phase
 * the grammar needs between. Out of body is its own state with enter / exit delays; while
 * out of body, the phase estimate is frozen. Online: each frame's output depends only on
 * earlier frames.
 */
export class PhaseFilter {
  private readonly hmm: PhaseHmm;
  private readonly phaseClassIndex: number[];
  private readonly oobIndex: number;
  private lastTsMs: number | undefined;
  private committed: string | undefined;
  private confidence = 0;
  private leader: { phase: string; sinceMs: number } | undefined;
  private qualifiedSinceMs: number | undefined;
  private outOfBody = false;
  private oobEdgeSinceMs: number | undefined;
  private posteriorNow: Float64Array;
  /** Recent in-body frames: time and log-likelihood per phase, for locating boundaries. */
  private recent: Array<{ tsMs: number; ll: Float64Array }> = [];
  private lastPhaseEventMs = Number.NEGATIVE_INFINITY;
  private readonly lagMs: number;
  /** The reported phases so far: phase and start (for withdrawing the last one). */
  private history: Array<{ phase: string; atMs: number }> = [];
  private readonly reach: Map<string, Set<string>>;

  constructor(
    private readonly source: string,
    private readonly model: FilterModel,
    private readonly o: PhaseFilterOptions,
  ) {
    this.hmm = new PhaseHmm(model.phases, model.transitions, model.startPhases, o);
    this.phaseClassIndex = model.phases.map((p) => model.classes.indexOf(p.id));
    this.oobIndex = model.outOfBodyClass ? model.classes.indexOf(model.outOfBodyClass) : -1;
    this.posteriorNow = this.hmm.posterior();
    this.lagMs = (o.boundaryLagS ?? model.boundaryLagS ?? 0) * 1000;
    this.reach = reachability(
      model.phases.map((p) => p.id),
      model.transitions,
    );
  }

  /** Folds in one frame's class probabilities; returns the events it causes (in time order). */
  update(tsMs: number, probabilities: ArrayLike<number>): PhaseEvent[] {
    const events: PhaseEvent[] = [];
    const dtS = this.lastTsMs === undefined ? 0 : Math.max(0, (tsMs - this.lastTsMs) / 1000);
    this.lastTsMs = tsMs;
    const pOob = this.oobIndex >= 0 ? probabilities[this.oobIndex]! : 0;
    const oobFrame = pOob >= this.o.outOfBodyThreshold;
    this.trackOutOfBody(tsMs, oobFrame, events);
    if (this.outOfBody || oobFrame) {
      // No phase evidence from outside the body; the phase holds.
      this.leader = undefined;
      this.qualifiedSinceMs = undefined;
      return events;
    }
    const inBody = Math.max(1e-6, 1 - pOob);
    const likelihoods = this.phaseClassIndex.map((c) => probabilities[c]! / inBody);
    this.hmm.step(dtS, likelihoods);
    this.remember(tsMs, likelihoods);
    this.posteriorNow = this.hmm.posterior();
    let best = 0;
    for (let i = 1; i < this.posteriorNow.length; i++)
      if (this.posteriorNow[i]! > this.posteriorNow[best]!) best = i;
    const bestId = this.model.phases[best]!.id;
    const bestP = this.posteriorNow[best]!;
    if (this.committed !== undefined) this.confidence = this.posteriorNow[this.phaseIndex(this.committed)]!;
    if (!this.leader || this.leader.phase !== bestId) {
      this.leader = { phase: bestId, sinceMs: tsMs };
      this.qualifiedSinceMs = undefined;
    }
    if (bestId === this.committed) {
      this.qualifiedSinceMs = undefined;
      return events;
    }
    if (bestP < this.o.switchProbability) {
      this.qualifiedSinceMs = undefined;
      return events;
    }
    this.qualifiedSinceMs ??= tsMs;
    if ((tsMs - this.qualifiedSinceMs) / 1000 < this.o.minPhaseDurationS) return events;
    this.qualifiedSinceMs = undefined;
    this.confidence = bestP;
    if (this.retracts(bestId, tsMs)) {
      events.push(this.withdraw(bestP));
      return events;
    }
    let from = this.committed;
    let atMs = from === undefined ? this.leader.sinceMs : this.changeAt(from, bestId, tsMs);
    const last = this.history[this.history.length - 1];
    const before = this.history[this.history.length - 2];
    if (
      from !== undefined &&
      last !== undefined &&
      before !== undefined &&
      atMs - last.atMs < this.o.shortestPhaseS * 1000 &&
      this.allows(before.phase, bestId)
    ) {
      // The reported phase lasted too short a time to be one: the view between two phases.
      events.push(this.withdraw(bestP));
      from = before.phase;
      atMs = this.changeAt(from, bestId, tsMs);
    }
    if (from !== undefined && !this.allows(from, bestId)) {
      // A change the grammar forbids: the frames went through a phase between the two too
      // quickly to confirm. Report the one between that explains them best, if there is one.
      const bridge = this.bridge(from, bestId, tsMs);
      if (bridge) {
        this.report(events, from, bridge.phase, bridge.startMs, bridge.confidence);
        from = bridge.phase;
        atMs = bridge.endMs;
      }
    }
    this.report(events, from, bestId, atMs, bestP);
    return events;
  }

  /** Reports a change (from undefined: the first phase) at atMs. */
  private report(
    events: PhaseEvent[],
    from: string | undefined,
    to: string,
    atMs: number,
    confidence: number,
  ): void {
    this.lastPhaseEventMs = atMs;
    const modelVersion = this.model.version;
    if (from !== undefined)
      events.push({ type: 'phase_ended', source: this.source, phase: from, atMs, modelVersion });
    this.committed = to;
    this.history.push({ phase: to, atMs });
    events.push({
      type: 'phase_started',
      source: this.source,
      phase: to,
      atMs,
      confidence: round4(confidence),
      modelVersion,
    });
  }

  private allows(from: string, to: string): boolean {
    return (this.model.transitions[from] ?? []).includes(to);
  }

  /**
   * The phase the grammar puts between `from` and `to` (from → x → to) and its span among the
   * recent frames: of every such x and pair of change points, the one that explains the
   * frames best (from before, x between, to after; maximum likelihood). Its confidence is
   * the classifier's geometric-mean score for x over that span. undefined when no single
   * phase bridges the two.
   */
  private bridge(
    from: string,
    to: string,
    nowMs: number,
  ): { phase: string; startMs: number; endMs: number; confidence: number } | undefined {
    const frames = this.sinceLastChange();
    const n = frames.length;
    const a = this.phaseIndex(from);
    const b = this.phaseIndex(to);
    const prefix = (c: number) => {
      const out = new Float64Array(n + 1);
      for (let i = 0; i < n; i++) out[i + 1] = out[i]! + frames[i]!.ll[c]!;
      return out;
    };
    const pa = prefix(a);
    const pb = prefix(b);
    let best: { x: string; i: number; j: number; score: number; llX: number } | undefined;
    for (const x of this.model.transitions[from] ?? []) {
      if (!this.allows(x, to)) continue;
      const px = prefix(this.phaseIndex(x));
      for (let i = 0; i < n; i++)
        for (let j = i + 1; j <= n; j++) {
          const score = pa[i]! + px[j]! - px[i]! + pb[n]! - pb[j]!;
          if (!best || score > best.score) best = { x, i, j, score, llX: (px[j]! - px[i]!) / (j - i) };
        }
    }
    if (!best) return undefined;
    const at = (k: number) => Math.max((k < n ? frames[k]!.tsMs : nowMs) - this.lagMs, this.lastPhaseEventMs);
    return { phase: best.x, startMs: at(best.i), endMs: at(best.j), confidence: Math.exp(best.llX) };
  }

  state(): FilterState {
    return {
      phase: this.committed,
      confidence: this.confidence,
      outOfBody: this.outOfBody,
      posterior: Array.from(this.posteriorNow, round4),
    };
  }

  /** Where a confirmed change from → to began: the change point, less the boundary lag. */
  private changeAt(from: string, to: string, nowMs: number): number {
    return Math.max(this.changePoint(from, to, nowMs) - this.lagMs, this.lastPhaseEventMs);
  }

  /** Withdraws the last reported phase: the one before it resumes, as if it never ended. */
  private withdraw(confidence: number): PhaseEvent {
    const withdrawn = this.history.pop()!;
    const resumed = this.history[this.history.length - 1]!;
    this.committed = resumed.phase;
    this.lastPhaseEventMs = resumed.atMs;
    return {
      type: 'phase_retracted',
      source: this.source,
      phase: withdrawn.phase,
      atMs: withdrawn.atMs,
      resumedPhase: resumed.phase,
      resumedAtMs: resumed.atMs,
      confidence: round4(confidence),
      modelVersion: this.model.version,
    };
  }

  /**
   * Whether confirming `to` means withdrawing the reported phase: `to` is the phase reported
   * before it, the grammar has no way from the reported phase back to `to`, and the reported
   * phase is younger than retractWindowS.
   */
  private retracts(to: string, nowMs: number): boolean {
    const n = this.history.length;
    if (this.o.retractWindowS <= 0 || n < 2) return false;
    const last = this.history[n - 1]!;
    return (
      this.history[n - 2]!.phase === to &&
      !this.reach.get(last.phase)!.has(to) &&
      nowMs - last.atMs <= this.o.retractWindowS * 1000
    );
  }

  /**
   * The recent frames after the last reported boundary: the phase that began there is the
   * old side of any change placed now, which can only start after it.
   */
  private sinceLastChange(): Array<{ tsMs: number; ll: Float64Array }> {
    return this.recent.filter((f) => f.tsMs > this.lastPhaseEventMs);
  }

  private remember(tsMs: number, likelihoods: number[]): void {
    const floor = this.o.probabilityFloor;
    this.recent.push({ tsMs, ll: Float64Array.from(likelihoods, (p) => Math.log(Math.max(p, floor))) });
    const oldest = tsMs - this.o.boundaryLookbackS * 1000;
    while (this.recent.length > 0 && this.recent[0]!.tsMs < oldest) this.recent.shift();
  }

  /**
   * The start of the new phase: the split of the recent frames that best explains them as
   * `from` before and `to` after (maximum likelihood change point). Uses past frames only.
   */
  private changePoint(from: string, to: string, nowMs: number): number {
    const a = this.phaseIndex(from);
    const b = this.phaseIndex(to);
    const frames = this.sinceLastChange();
    if (frames.length === 0) return nowMs;
    let after = 0;
    for (const f of frames) after += f.ll[b]!;
    let before = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    let bestMs = nowMs;
    for (const f of frames) {
      const score = before + after;
      if (score > bestScore) {
        bestScore = score;
        bestMs = f.tsMs;
      }
      before += f.ll[a]!;
      after -= f.ll[b]!;
    }
    return bestMs;
  }

  private trackOutOfBody(tsMs: number, oobFrame: boolean, events: PhaseEvent[]): void {
    const wantsChange = oobFrame !== this.outOfBody;
    if (!wantsChange) {
      this.oobEdgeSinceMs = undefined;
      return;
    }
    this.oobEdgeSinceMs ??= tsMs;
    const holdS = this.outOfBody ? this.o.outOfBodyExitS : this.o.outOfBodyEnterS;
    if ((tsMs - this.oobEdgeSinceMs) / 1000 < holdS) return;
    const atMs = this.oobEdgeSinceMs;
    this.outOfBody = !this.outOfBody;
    this.oobEdgeSinceMs = undefined;
    events.push({
      type: this.outOfBody ? 'out_of_body_started' : 'out_of_body_ended',
      source: this.source,
      atMs,
      modelVersion: this.model.version,
    });
  }

  private phaseIndex(id: string): number {
    return this.model.phases.findIndex((p) => p.id === id);
  }
}

/** Per phase, the phases the grammar can reach from it in one or more changes. */
function reachability(
  ids: readonly string[],
  transitions: Readonly<Record<string, readonly string[]>>,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const id of ids) {
    const seen = new Set<string>();
    const todo = [...(transitions[id] ?? [])];
    while (todo.length > 0) {
      const next = todo.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push(...(transitions[next] ?? []));
    }
    out.set(id, seen);
  }
  return out;
}

function round4(v: number): number {
  return Math.round(v * 10000) / 10000;
}
