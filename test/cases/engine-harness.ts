import { join } from 'node:path';
import { pino } from 'pino';
import type { SourceStatus } from '../../capture/index.js';
import { type Config, loadConfig } from '../../config/index.js';
import { EventBus } from '../../daemon/bus.js';
import { CasesPart, type CasesServices, type RecordingControl } from '../../daemon/cases/index.js';
import { Store } from '../../daemon/store/index.js';
import type { ModelInfo, PhaseEvent } from '../../inference/index.js';

/** A recorder that remembers what it was asked to do, in order. */
export class ListRecorder implements RecordingControl {
  readonly calls: string[] = [];
  startRecording(caseId: string) {
    this.calls.push(`start:${caseId}`);
  }
  stopRecording() {
    this.calls.push('stop');
  }
  pauseRecording() {
    this.calls.push('pause');
  }
  resumeRecording() {
    this.calls.push('resume');
  }
}

export interface EngineHarness {
  config: Readonly<Config>;
  store: Store;
  bus: EventBus;
  part: CasesPart;
  s: CasesServices;
  recorder: ListRecorder;
  /** Stops the part and opens a fresh one on the same database (a restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** The real case part on a real SQLite file, driven through a real event bus. */
export async function startEngine(
  dir: string,
  cases: Record<string, unknown> = {},
  now?: () => number,
): Promise<EngineHarness> {
  const config = loadConfig({
    overrides: {
      storage: { data_dir: dir, synchronous: 'NORMAL' },
      cases: { auto_start: false, auto_end: false, ...cases },
      capture: {
        sources: [
          { name: 'endoscope', role: 'endoscope' },
          { name: 'room', role: 'room', kind: 'sim' },
        ],
      },
    },
  });
  const log = pino({ level: process.env.ORSIGHT_TEST_LOG ?? 'silent' });
  const store = Store.open({
    file: join(dir, 'orsight.db'),
    busyTimeoutMs: 5000,
    synchronous: 'NORMAL',
    integrityCheck: 'off',
  });
  const recorder = new ListRecorder();
  const bus = new EventBus(log);
  const make = () => new CasesPart({ config, store: () => store, bus, log, recorder: () => recorder, now });
  const h: EngineHarness = {
    config,
    store,
    bus,
    recorder,
    part: make(),
    get s() {
      return this.part.services;
    },
    async restart() {
      await this.part.stop();
      this.part = make();
      await this.part.start();
    },
    async close() {
      await this.part.stop();
      store.close();
    },
  };
  await h.part.start();
  return h;
}

export const status = (source: string, state: SourceStatus['state'], sinceMs = Date.now()): SourceStatus => ({
  source,
  state,
  sinceMs,
  fpsIn: 25,
  fpsOut: 5,
  framesDropped: 0,
  restarts: 0,
  recording: false,
});

export const started = (phase: string, atMs: number, confidence = 0.9): PhaseEvent => ({
  type: 'phase_started',
  source: 'endoscope',
  phase,
  atMs,
  confidence,
  modelVersion: 'm1',
});
export const retracted = (
  phase: string,
  atMs: number,
  resumedPhase: string,
  resumedAtMs: number,
): PhaseEvent => ({
  type: 'phase_retracted',
  source: 'endoscope',
  phase,
  atMs,
  resumedPhase,
  resumedAtMs,
  confidence: 0.85,
  modelVersion: 'm1',
});
export const ended = (phase: string, atMs: number): PhaseEvent => ({
  type: 'phase_ended',
  source: 'endoscope',
  phase,
  atMs,
  modelVersion: 'm1',
});
export const oob = (inBody: boolean, atMs: number): PhaseEvent => ({
  type: inBody ? 'out_of_body_ended' : 'out_of_body_started',
  source: 'endoscope',
  atMs,
  modelVersion: 'm1',
});

export const PHASES = [
  'preparation',
  'calot_triangle_dissection',
  'clipping_and_cutting',
  'gallbladder_dissection',
];

export function model(typicalS: number[] = [100, 200, 300, 400], version = 'm1'): ModelInfo {
  return {
    name: 'test-model',
    procedure: 'lap_chole',
    version,
    classes: [...PHASES, 'out_of_body'],
    transitions: Object.fromEntries(PHASES.map((p, i) => [p, PHASES.slice(i + 1)])),
    outOfBodyClass: 'out_of_body',
    backend: 'cpu',
    phases: PHASES.map((id, i) => ({
      id,
      displayName: id.replace(/_/g, ' '),
      color: `#00000${i}`,
      typicalDurationS: typicalS[i] ?? 60,
    })),
  };
}
