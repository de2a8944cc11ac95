/**
 * Online forward filtering over the phase grammar with duration priors.
 *
 * Each phase is a chain of K sub-states (an Erlang duration model: a phase lasts about its
 * typical duration and rarely much less), the last sub-state exits to the phases the grammar
 * allows. Per frame: predict (transition over the elapsed time), update (multiply by the
 * classifier's scaled likelihoods), normalise. Only the past is used (causal).
 */
export interface HmmPhase {
  id: string;
  typicalDurationS: number;
}

export interface HmmOptions {
  substates: number;
  /** Multiplies every typical duration (a shorter prior lets phases change sooner). */
  durationScale: number;
  /** Lower bound for a class likelihood, so one confident mistake cannot zero the truth. */
  probabilityFloor: number;
  /** Exponent on likelihoods (<1 trusts single frames less). */
  emissionExponent: number;
  /** Prior mass on starting in a phase other than the start phases (a restart mid-case). */
  resumeAnywhereProbability: number;
}

export class PhaseHmm {
  private alpha: Float64Array;
  private readonly next: number[][];
  private readonly k: number;

  constructor(
    private readonly phases: readonly HmmPhase[],
    transitions: Readonly<Record<string, readonly string[]>>,
    startPhases: readonly string[],
    private readonly o: HmmOptions,
  ) {
    this.k = Math.max(1, Math.round(o.substates));
    const index = new Map(phases.map((p, i) => [p.id, i]));
    this.next = phases.map((p) =>
      (transitions[p.id] ?? []).map((id) => index.get(id)!).filter((i) => i !== undefined),
    );
    this.alpha = new Float64Array(phases.length * this.k);
    const starts = startPhases.map((s) => index.get(s)!).filter((i) => i !== undefined);
    const others = phases.length - starts.length;
    const rest = others > 0 ? o.resumeAnywhereProbability : 0;
    for (let i = 0; i < phases.length; i++) {
      this.alpha[i * this.k] = starts.includes(i) ? (1 - rest) / starts.length : rest / others;
    }
  }

  /** Advances time by dtS seconds and folds in one frame's phase likelihoods (one per phase). */
  step(dtS: number, likelihoods: ArrayLike<number>): void {
    if (dtS > 0) this.predict(dtS);
    const { k, alpha } = this;
    let total = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const e = Math.max(likelihoods[i]!, this.o.probabilityFloor) ** this.o.emissionExponent;
      for (let j = 0; j < k; j++) {
        const v = alpha[i * k + j]! * e;
        alpha[i * k + j] = v;
        total += v;
      }
    }
    if (total > 0 && Number.isFinite(total))
      for (let s = 0; s < alpha.length; s++) alpha[s] = alpha[s]! / total;
    else this.alpha.fill(1 / alpha.length);
  }

  /** Posterior probability of each phase given every frame so far. */
  posterior(): Float64Array {
    const { k } = this;
    const p = new Float64Array(this.phases.length);
    for (let i = 0; i < p.length; i++) for (let j = 0; j < k; j++) p[i] = p[i]! + this.alpha[i * k + j]!;
    return p;
  }

  private predict(dtS: number): void {
    const { k, alpha } = this;
    const out = new Float64Array(alpha.length);
    for (let i = 0; i < this.phases.length; i++) {
      const meanS = Math.max(1e-3, this.phases[i]!.typicalDurationS * this.o.durationScale);
      const stay = Math.exp((-dtS * k) / meanS);
      const exits = this.next[i]!;
      for (let j = 0; j < k; j++) {
        const m = alpha[i * k + j]!;
        if (m === 0) continue;
        if (j < k - 1) {
          out[i * k + j] = out[i * k + j]! + m * stay;
          out[i * k + j + 1] = out[i * k + j + 1]! + m * (1 - stay);
        } else if (exits.length === 0) {
          out[i * k + j] = out[i * k + j]! + m;
        } else {
          out[i * k + j] = out[i * k + j]! + m * stay;
          const share = (m * (1 - stay)) / exits.length;
          for (const n of exits) out[n * k] = out[n * k]! + share;
        }
      }
    }
    this.alpha = out;
  }
}
