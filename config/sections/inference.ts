import { Type } from '@sinclair/typebox';
import { Enum, Int, Num, Section } from '../schema-kit.js';

export const inferenceSection = Section(
  'Step detection (TF.js model in a worker thread) and temporal filter.',
  {
    model_dir: Type.Optional(
      Type.String({ description: 'Model package folder. Default: the shipped demo model.' }),
    ),
    backend: Enum(
      'TF.js backend: auto tries tensorflow-gpu, tensorflow, wasm, cpu in that order.',
      ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const,
      'auto',
    ),
    max_batch: Int('Largest batch when several sources have a frame ready.', 4, 1, 64),
    worker_restart_backoff_ms: Int('Delay before restarting a crashed inference worker.', 1000, 50, 600000),
    min_phase_duration_s: Num(
      'Hysteresis: a new phase must hold this long before it is reported.',
      8,
      0,
      600,
    ),
    switch_probability: Num('Filtered probability a new phase must reach to be reported.', 0.8, 0.5, 1),
    out_of_body_enter_s: Num('Seconds of out-of-body frames before out-of-body is declared.', 1, 0, 60),
    out_of_body_exit_s: Num('Seconds of in-body frames before out-of-body ends.', 2, 0, 60),
    pause_recording_out_of_body: Type.Boolean({
      description: 'Pause recording while the camera is out of the body.',
      default: true,
    }),
  },
);
