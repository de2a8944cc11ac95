import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ModelInfo } from '../../inference/index.js';
import type { Harness } from './api-harness.js';

export const PHASES = ['preparation', 'calot_triangle_dissection', 'clipping_and_cutting'];
export const LABEL = 'Jane Roe, bed 7';

export const testModel = (): ModelInfo => ({
  name: 'test-model',
  procedure: 'lap_chole',
  version: 't-1',
  classes: [...PHASES, 'out_of_body'],
  transitions: {
    preparation: ['calot_triangle_dissection'],
    calot_triangle_dissection: ['clipping_and_cutting'],
    clipping_and_cutting: [],
  },
  outOfBodyClass: 'out_of_body',
  backend: 'cpu',
  phases: PHASES.map((id, i) => ({
    id,
    displayName: id.replace(/_/g, ' '),
    color: `#1${i}1${i}1${i}`,
    typicalDurationS: 60 * (i + 1),
  })),
});

export interface Seeded {
  caseId: string;
  segmentIds: string[];
  bookmarkId: string;
  correctionId: string;
  /** Chunk file names (endoscope source) and their bytes. */
  chunks: Array<{ name: string; bytes: Buffer }>;
  /** A clip exported through the API (seedExport). */
  exportName?: string;
}

/** A short real H.264 MP4, as the recorder writes them (GStreamer). */
function writeChunk(file: string, frames: number): void {
  mkdirSync(dirname(file), { recursive: true });
  execFileSync(
    'gst-launch-1.0',
    [
      '-q',
      'videotestsrc',
      `num-buffers=${frames}`,
      '!',
      'video/x-raw,width=64,height=48,framerate=10/1',
      '!',
      'x264enc',
      '!',
      'h264parse',
      '!',
      'mp4mux',
      '!',
      'filesink',
      `location=${file}`,
    ],
    { timeout: 30_000, stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

/**
 * A completed case with three phases, a bookmark, a correction and two real MP4 recording
 * chunks on disk, written through the real bus and engine.
 */
export function seedCase(h: Harness): Seeded {
  const admin = { kind: 'user', id: h.ids.admin, username: 'alice', role: 'admin' } as const;
  h.bus.emit('inference.model', testModel());
  const c = h.services.engine.startCase(admin, { label: LABEL, surgeonId: 's-1' });
  const t = c.startedAtMs;
  const ev = (phase: string, atMs: number) =>
    h.bus.emit('inference.phase', {
      type: 'phase_started',
      source: 'endoscope',
      phase,
      atMs,
      confidence: 0.9,
      modelVersion: 't-1',
    });
  ev('preparation', t);
  ev('calot_triangle_dissection', t + 1);
  ev('clipping_and_cutting', t + 2);
  const chunks = ['00000.mp4', '00001.mp4'].map((name, i) => {
    const rel = `${c.id}/endoscope/${name}`;
    writeChunk(join(h.recordingsDir, rel), 20 + i * 10);
    const bytes = readFileSync(join(h.recordingsDir, rel));
    h.bus.emit('capture.chunk_closed', {
      caseId: c.id,
      source: 'endoscope',
      path: rel,
      startedAtMs: t + i * 10_000,
      durationMs: 10_000,
      sizeBytes: bytes.length,
    });
    return { name, bytes };
  });
  const bm = h.services.annotations.addBookmark(admin, c.id, { note: 'critical view of safety', atMs: t });
  h.services.engine.stopCase(admin, c.id);
  const segs = h.services.repo.segments(c.id);
  const corr = h.services.annotations.addCorrection(admin, c.id, {
    kind: 'relabel',
    segmentId: segs[2]!.id,
    phase: 'calot_triangle_dissection',
  });
  return {
    caseId: c.id,
    segmentIds: segs.map((s) => s.id),
    bookmarkId: bm.id,
    correctionId: corr.id,
    chunks,
  };
}

/** A fingerprint of every table a refused request must leave alone. */
export function domainFingerprint(h: Harness): string {
  const tables = [
    'cases',
    'phase_segments',
    'events',
    'bookmarks',
    'corrections',
    'recordings',
    'users',
    'display_tokens',
  ];
  return JSON.stringify(
    tables.map((t) => h.services.store.db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()),
  );
}

/** Exports the first phase of the seeded case through the API, so the download route has a clip. */
export async function seedExport(h: Harness, s: Seeded): Promise<void> {
  const r = await h.app.inject({
    method: 'POST',
    url: `/api/cases/${s.caseId}/export`,
    headers: { authorization: `Bearer ${h.tokens.clinician}` },
    payload: { segmentId: s.segmentIds[0], source: 'endoscope' },
  });
  if (r.statusCode !== 200) throw new Error(`export failed: ${r.body}`);
  s.exportName = (r.json() as { name: string }).name;
}
