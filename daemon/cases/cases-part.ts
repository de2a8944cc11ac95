import type { Config } from '../../config/index.js';
import type { ModelInfo } from '../../inference/index.js';
import type { EventBus } from '../bus.js';
import type { Logger } from '../log.js';
import type { Part, PartHealth } from '../part.js';
import type { Store } from '../store/index.js';
import { Annotations } from './annotations.js';
import { AuditLog } from './audit-log.js';
import { CaseEngine, type RecordingControl } from './case-engine.js';
import { CaseRepo } from './case-repo.js';
import { CaseHistory } from './history.js';
import { LiveStateStore } from './live-state.js';

export interface CasesPartOptions {
  config: Pick<Config, 'cases' | 'capture' | 'inference' | 'device'>;
  /** The open store (available once the store part has started). */
  store: () => Store;
  bus: EventBus;
  log: Logger;
  /** Recording controls (capture); absent when recording is not available. */
  recorder?: () => RecordingControl | undefined;
  /** The model inference has loaded (it starts first, so its `inference.model` event came earlier). */
  currentModel?: () => ModelInfo | null | undefined;
  /** The clock (ms since epoch); tests pass their own. */
  now?: () => number;
}

/** What the API and the live channel use once the part has started. */
export interface CasesServices {
  store: Store;
  repo: CaseRepo;
  engine: CaseEngine;
  annotations: Annotations;
  live: LiveStateStore;
  history: CaseHistory;
  audit: AuditLog;
}

/** The case engine as a daemon part: starts after inference, before http. */
export class CasesPart implements Part {
  readonly name = 'cases';
  private started: CasesServices | undefined;

  constructor(private readonly options: CasesPartOptions) {}

  get services(): CasesServices {
    if (!this.started) throw new Error('cases part is not started');
    return this.started;
  }

  async start(): Promise<void> {
    const { config, log, bus } = this.options;
    const store = this.options.store();
    const repo = new CaseRepo(store);
    const history = new CaseHistory(repo, config.cases.history_cases);
    const live = new LiveStateStore(config.device.room_name);
    const audit = new AuditLog(store);
    const engine = new CaseEngine({
      repo,
      audit,
      live,
      history,
      bus,
      log,
      config,
      recorder: this.options.recorder?.(),
      currentModel: this.options.currentModel,
      now: this.options.now,
    });
    const annotations = new Annotations({
      repo,
      audit,
      history,
      model: () => engine.model,
      now: this.options.now ?? Date.now,
      onChange: (caseId) => engine.correctionsChanged(caseId),
    });
    engine.start();
    this.started = { store, repo, engine, annotations, live, history, audit };
  }

  async stop(): Promise<void> {
    this.started?.engine.stop();
    this.started = undefined;
  }

  health(): PartHealth {
    if (!this.started) return { ok: false, state: 'stopped' };
    return { ok: true, state: 'running', detail: this.started.engine.health() };
  }
}
