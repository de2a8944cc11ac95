import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CaseRepo } from '../../daemon/cases/index.js';
import { Store } from '../../daemon/store/index.js';
import { Accounts } from '../../ui/auth/accounts.js';
import { ROOT } from '../helpers/process.js';

/** A finished case with phases, recorded in chunks, written through the daemon's own repo. */
export interface SeededCase {
  caseId: string;
  startedAtMs: number;
  /** Phase segments as stored: id, phase, start/end ms since epoch. */
  segments: Array<{ id: string; phase: string; startedAtMs: number; endedAtMs: number }>;
  chunks: Array<{ path: string; startedAtMs: number; durationMs: number }>;
}

export interface SeedResult {
  case: SeededCase;
  clinician: { username: string; password: string };
  admin: { username: string; password: string };
  displayToken: string;
}

const CACHE_DIR = join(ROOT, '.cache', 'e2e');

/**
 * One H.264 fragmented-MP4 chunk of `seconds` at 320×180, 10 fps, as the recorder writes
 * them; GStreamer encodes it once and later runs reuse the cached file.
 */
export function videoChunk(seconds: number, pattern: string): string {
  mkdirSync(CACHE_DIR, { recursive: true });
  const out = join(CACHE_DIR, `chunk-${pattern}-${seconds}s.mp4`);
  if (existsSync(out) && statSync(out).size > 0) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  execFileSync(
    'gst-launch-1.0',
    [
      '-q',
      'videotestsrc',
      `num-buffers=${seconds * 10}`,
      `pattern=${pattern}`,
      '!',
      'video/x-raw,width=320,height=180,framerate=10/1',
      '!',
      'x264enc',
      'tune=zerolatency',
      'speed-preset=ultrafast',
      'key-int-max=10',
      '!',
      'h264parse',
      '!',
      'mp4mux',
      'fragment-duration=1000',
      '!',
      'filesink',
      `location=${tmp}`,
    ],
    { stdio: 'pipe', timeout: 60_000 },
  );
  execFileSync('mv', [tmp, out]);
  return out;
}

/**
 * Seeds a data dir before the daemon starts: the schema (the daemon's migrations), a
 * clinician and an admin, a paired display, and one completed case of three phases whose
 * recording is two 20 s chunks of the endoscope source.
 */
export async function seedDataDir(dataDir: string): Promise<SeedResult> {
  mkdirSync(dataDir, { recursive: true });
  const store = Store.open({
    file: join(dataDir, 'orsight.db'),
    busyTimeoutMs: 5000,
    synchronous: 'NORMAL',
    integrityCheck: 'off',
  });
  try {
    const accounts = new Accounts(store, { scryptCost: 1024, passwordMinChars: 10, sessionTtlMs: 3600_000 });
    const clinician = { username: 'dr-review', password: 'review-pass-1234' };
    const admin = { username: 'it-admin', password: 'admin-pass-1234' };
    await accounts.createUser(clinician.username, clinician.password, 'clinician');
    await accounts.createUser(admin.username, admin.password, 'admin');
    const { token: displayToken } = accounts.pairDisplay('or-1 wall', 'seed');

    const repo = new CaseRepo(store);
    const startedAtMs = Date.now() - 3600_000;
    const now = Date.now();
    // Three earlier cases of the same procedure: the history the duration table compares with.
    for (const [i, scale] of [1, 1.2, 1.4].entries()) {
      const start = startedAtMs - (i + 2) * 86_400_000;
      const past = repo.insertCase({
        procedure: 'lap_chole',
        surgeonId: 's-17',
        label: null,
        startedAtMs: start,
        startedBy: 'auto',
        modelVersion: 'seed',
        nowMs: now,
      });
      let at = start;
      for (const [phase, durationMs] of [
        ['preparation', 10_000],
        ['calot_triangle_dissection', 25_000],
        ['clipping_cutting', 11_000],
      ] as const) {
        const s = repo.insertSegment({
          caseId: past.id,
          phase,
          startedAtMs: at,
          confidence: 0.9,
          modelVersion: 'seed',
          nowMs: now,
        });
        at += Math.round(durationMs * scale);
        repo.closeSegment(s.id, at, now);
      }
      repo.closeCase(past.id, at, 'manual', now);
    }
    const c = repo.insertCase({
      procedure: 'lap_chole',
      surgeonId: 's-17',
      label: null,
      startedAtMs,
      startedBy: 'auto',
      modelVersion: 'seed',
      nowMs: now,
    });
    const plan: Array<[string, number, number]> = [
      ['preparation', 0, 12_000],
      ['calot_triangle_dissection', 12_000, 27_000],
      ['clipping_cutting', 27_000, 40_000],
    ];
    const segments = plan.map(([phase, fromMs, toMs]) => {
      const s = repo.insertSegment({
        caseId: c.id,
        phase,
        startedAtMs: startedAtMs + fromMs,
        confidence: 0.9,
        modelVersion: 'seed',
        nowMs: now,
      });
      repo.closeSegment(s.id, startedAtMs + toMs, now);
      return { id: s.id, phase, startedAtMs: startedAtMs + fromMs, endedAtMs: startedAtMs + toMs };
    });
    repo.insertEvent({ caseId: c.id, atMs: startedAtMs, type: 'case_started' });
    repo.insertEvent({
      caseId: c.id,
      atMs: startedAtMs + 33_000,
      type: 'out_of_body_in',
      sourceName: 'endoscope',
    });
    repo.insertEvent({
      caseId: c.id,
      atMs: startedAtMs + 36_000,
      type: 'out_of_body_out',
      sourceName: 'endoscope',
    });
    repo.closeCase(c.id, startedAtMs + 40_000, 'manual', now);

    const chunks = [
      { src: videoChunk(20, 'ball'), startedAtMs, durationMs: 20_000 },
      { src: videoChunk(20, 'smpte'), startedAtMs: startedAtMs + 20_000, durationMs: 20_000 },
    ].map((ch, i) => {
      const path = join(c.id, 'endoscope', `chunk-${String(i).padStart(5, '0')}.mp4`);
      const abs = join(dataDir, 'recordings', path);
      mkdirSync(join(abs, '..'), { recursive: true });
      copyFileSync(ch.src, abs);
      repo.insertRecording({
        case_id: c.id,
        source_name: 'endoscope',
        path,
        started_at: ch.startedAtMs,
        duration_ms: ch.durationMs,
        size_bytes: statSync(abs).size,
      });
      return { path, startedAtMs: ch.startedAtMs, durationMs: ch.durationMs };
    });
    // A room camera, recorded as one 40 s chunk, for the source switch.
    const roomPath = join(c.id, 'room', 'chunk-00000.mp4');
    const roomAbs = join(dataDir, 'recordings', roomPath);
    mkdirSync(join(roomAbs, '..'), { recursive: true });
    copyFileSync(videoChunk(40, 'snow'), roomAbs);
    repo.insertRecording({
      case_id: c.id,
      source_name: 'room',
      path: roomPath,
      started_at: startedAtMs,
      duration_ms: 40_000,
      size_bytes: statSync(roomAbs).size,
    });
    return {
      case: { caseId: c.id, startedAtMs, segments, chunks },
      clinician,
      admin,
      displayToken,
    };
  } finally {
    store.close();
  }
}

/** Pairs a display and adds an admin in a fresh data dir (schema applied). */
export async function seedAccounts(
  dataDir: string,
): Promise<{ token: string; admin: { username: string; password: string } }> {
  mkdirSync(dataDir, { recursive: true });
  const store = Store.open({
    file: join(dataDir, 'orsight.db'),
    busyTimeoutMs: 5000,
    synchronous: 'NORMAL',
    integrityCheck: 'off',
  });
  try {
    const accounts = new Accounts(store, { scryptCost: 1024, passwordMinChars: 10, sessionTtlMs: 3600_000 });
    const admin = { username: 'it-admin', password: 'admin-pass-1234' };
    await accounts.createUser(admin.username, admin.password, 'admin');
    return { token: accounts.pairDisplay('wall', 'seed').token, admin };
  } finally {
    store.close();
  }
}
