import { join } from 'node:path';
import { pino } from 'pino';
import type { RecordingChunk, RecordingGap, SourceStatus } from '../../capture/index.js';
import { CapturePart } from '../../capture/index.js';
import { type Config, loadConfig, type SourceConfig } from '../../config/index.js';
import { EventBus } from '../../daemon/bus.js';
import { Store } from '../../daemon/store/index.js';

/** A small, cheap sim source and analysis size for tests that need frames, not pictures. */
export const SMALL_SIM = {
  sim_width: 160,
  sim_height: 120,
  sim_fps: 10,
  analysis_fps: 5,
  analysis_width: 64,
  analysis_height: 48,
} as const;

export interface Harness {
  capture: CapturePart;
  store: Store;
  config: Readonly<Config>;
  statuses: SourceStatus[];
  chunks: RecordingChunk[];
  gaps: RecordingGap[];
  status(source: string): SourceStatus | undefined;
  addCase(id: string): void;
  close(): Promise<void>;
}

/** A real CapturePart with a real SQLite store in `dir`, recording bus events. */
export function captureHarness(
  dir: string,
  sources: Array<SourceConfig | Record<string, unknown>>,
  capture: Record<string, unknown> = {},
  /** When given, every log line (debug and up) is collected here. */
  logLines?: string[],
): Harness {
  const config = loadConfig({
    overrides: {
      storage: { data_dir: dir, synchronous: 'NORMAL' },
      capture: { sources, ...capture },
    },
  });
  const log = logLines
    ? pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) })
    : pino({ level: process.env.ORSIGHT_TEST_LOG ?? 'silent' });
  const bus = new EventBus(log);
  const store = Store.open({
    file: join(dir, 'orsight.db'),
    busyTimeoutMs: 5000,
    synchronous: 'NORMAL',
    integrityCheck: 'off',
  });
  const statuses: SourceStatus[] = [];
  const chunks: RecordingChunk[] = [];
  const gaps: RecordingGap[] = [];
  bus.on('capture.source_status', 'test', (s) => statuses.push(s));
  bus.on('capture.chunk_closed', 'test', (c) => chunks.push(c));
  bus.on('capture.recording_gap', 'test', (g) => gaps.push(g));
  const capturePart = new CapturePart({ config, log, bus, store: () => store });
  return {
    capture: capturePart,
    store,
    config,
    statuses,
    chunks,
    gaps,
    status: (source) => capturePart.sourceStatuses().find((s) => s.source === source),
    addCase: (id) => {
      // One open case at a time (cases_one_open): close the others, as the case engine would.
      store.db.prepare('UPDATE cases SET ended_at = ? WHERE ended_at IS NULL').run(Date.now());
      store.db
        .prepare("INSERT INTO cases (id, procedure, started_at, started_by) VALUES (?, 'test', ?, 'system')")
        .run(id, Date.now());
    },
    close: async () => {
      await capturePart.stop();
      store.close();
    },
  };
}
