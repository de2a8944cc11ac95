import { Type } from '@sinclair/typebox';
import { Enum, Int, Num, Section } from '../schema-kit.js';

export const inferenceSection = Section(
  'Step detection (TF.js model in a worker thread) and temporal filter.',
  {
    model_dir: Type.Optional(
      Type.String({ description: 'Model package folder. Default: the shipped demo model.' }),
    ),
    backend: Enum(
      'TF.js backend: auto tries tensorflow-gpu, tensorflow, wasm, cpu in that order; a forced backend that cannot start falls back to the ones after it.',
      ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const,
      'auto',
    ),
    max_batch: Int('Largest batch when several sources have a frame ready.', 4, 1, 64),
    queue_per_source: Int(
      'Frames waiting per source while the worker is busy; beyond this the oldest is dropped and counted.',
      2,
      1,
      1000,
    ),
    warmup_runs: Int('Warm-up inferences (batch 1 and max_batch) before the part reports ready.', 3, 0, 100),
    worker_start_timeout_ms: Int(
      'Longest wait for the worker to load the backend and model and warm up.',
      120000,
      1000,
      600000,
    ),
    worker_batch_timeout_ms: Int(
      'A batch the worker has not classified within this long means it hangs: it is terminated and restarted (the frames in that batch are lost and counted).',
      15000,
      100,
      600000,
    ),
    worker_restart_backoff_ms: Int('Delay before restarting a crashed inference worker.', 1000, 50, 600000),
    worker_restart_backoff_max_ms: Int(
      'Largest delay between restarts of a worker that keeps crashing.',
      30000,
      100,
      3600000,
    ),
    latency_window: Int('Recent frames kept for the latency percentiles in health().', 1000, 10, 100000),
    min_phase_duration_s: Num(
      'Hysteresis: a new phase must be the most likely one for this long before it is reported (the report is back-dated to its start).',
      4,
      0,
      600,
    ),
    boundary_lookback_s: Num(
      'A confirmed phase change is back-dated to the most likely change point within this many seconds of recent frames.',
      30,
      0,
      600,
    ),
    boundary_lag_s: Type.Optional(
      Type.Number({
        description:
          "Seconds by which a confirmed phase boundary is placed before the change point, for the classifier's delay in recognising a new phase. Default: the model manifest's boundaryLagS (measured on validation cases), else 0.",
        minimum: 0,
        maximum: 30,
      }),
    ),
    retract_window_s: Num(
      'A reported phase younger than this is withdrawn (the phase before it resumes) when the filter comes back to the phase before it and the phase grammar allows no way back; 0 never withdraws one.',
      120,
      0,
      3600,
    ),
    shortest_phase_s: Num(
      'A reported phase that lasts less than this until the next change is withdrawn when the phase grammar allows the change around it directly (the view between two phases can look like a third for a few seconds); 0 keeps every phase.',
      6,
      0,
      600,
    ),
    switch_probability: Num('Filtered probability a new phase must reach to be reported.', 0.8, 0.5, 1),
    duration_substates: Int(
      'Sub-states per phase in the HMM (Erlang duration prior: more = phases shorter than typical are less likely).',
      3,
      1,
      20,
    ),
    duration_prior_scale: Num(
      'Multiplies the typical phase durations of the model manifest in the duration prior.',
      1,
      0.01,
      100,
    ),
    probability_floor: Num(
      'Lowest likelihood a class gets from one frame, so one confident wrong frame cannot rule the true phase out.',
      0.02,
      0.000001,
      0.5,
    ),
    emission_exponent: Num(
      'Exponent on per-frame likelihoods (below 1 trusts single frames less).',
      1,
      0.05,
      5,
    ),
    resume_anywhere_probability: Num(
      'Prior probability that analysis starts in a phase other than the start phases (daemon restarted mid-case).',
      0.05,
      0,
      0.9,
    ),
    out_of_body_threshold: Num(
      'Out-of-body class probability above which a frame counts as out of body.',
      0.5,
      0.05,
      0.99,
    ),
    out_of_body_enter_s: Num('Seconds of out-of-body frames before out-of-body is declared.', 1, 0, 60),
    out_of_body_exit_s: Num('Seconds of in-body frames before out-of-body ends.', 2, 0, 60),
    pause_recording_out_of_body: Type.Boolean({
      description: 'Pause recording while the camera is out of the body.',
      default: true,
    }),
  },
);
