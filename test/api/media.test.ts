import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { bearer, call, type Harness, startHarness } from './api-harness.js';
import { type Seeded, seedCase } from './seed.js';

let h: Harness;
let s: Seeded;
let base: string;
let mediaRequests = 0;

const mediaAudit = () =>
  h.services.store.db.prepare("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'media.%'").get() as {
    n: number;
  };

beforeAll(async () => {
  h = await startHarness(tempDir(), { listen: true });
  s = seedCase(h);
  base = `http://127.0.0.1:${h.http.port}/api/cases/${s.caseId}`;
});
afterAll(() => h?.close());

/** A media request over real HTTP; counted, since each one must leave an audit entry. */
async function media(
  path: string,
  token: string | null = h.tokens.clinician,
  headers: Record<string, string> = {},
) {
  mediaRequests += 1;
  const res = await fetch(`${base}${path}`, { headers: { ...headers, ...bearer(token) } });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('recording chunks', () => {
  it('serves a whole chunk', async () => {
    const chunk = s.chunks[0]!;
    const { res, bytes } = await media(`/media/endoscope/${chunk.name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(bytes.equals(chunk.bytes)).toBe(true);
  });

  it('answers range requests with exactly the bytes asked for', async () => {
    const chunk = s.chunks[1]!;
    const size = chunk.bytes.length;
    let r = await media(`/media/endoscope/${chunk.name}`, h.tokens.clinician, { range: 'bytes=100-199' });
    expect(r.res.status).toBe(206);
    expect(r.res.headers.get('content-range')).toBe(`bytes 100-199/${size}`);
    expect(r.bytes.equals(chunk.bytes.subarray(100, 200))).toBe(true);
    r = await media(`/media/endoscope/${chunk.name}`, h.tokens.clinician, { range: 'bytes=-10' });
    expect(r.res.status).toBe(206);
    expect(r.bytes.equals(chunk.bytes.subarray(size - 10))).toBe(true);
    r = await media(`/media/endoscope/${chunk.name}`, h.tokens.clinician, { range: `bytes=${size - 5}-` });
    expect(r.bytes.equals(chunk.bytes.subarray(size - 5))).toBe(true);
    r = await media(`/media/endoscope/${chunk.name}`, h.tokens.clinician, {
      range: `bytes=${size + 10}-${size + 20}`,
    });
    expect(r.res.status).toBe(416);
    expect(r.res.headers.get('content-range')).toBe(`bytes */${size}`);
    expect((JSON.parse(r.bytes.toString()) as { code: string }).code).toBe('RANGE_NOT_SATISFIABLE');
  });

  it('lists chunks and serves an HLS playlist per source', async () => {
    const list = await media('/recordings');
    const body = JSON.parse(list.bytes.toString()) as {
      items: Array<{ name: string; url: string }>;
      playlists: Array<{ url: string }>;
    };
    expect(body.items.map((i) => i.name)).toEqual(s.chunks.map((c) => c.name));
    const pl = await media('/media/endoscope/playlist.m3u8');
    expect(pl.res.headers.get('content-type')).toContain('application/vnd.apple.mpegurl');
    const lines = pl.bytes.toString().split('\n');
    expect(lines[0]).toBe('#EXTM3U');
    expect(lines.filter((l) => l.startsWith('#EXTINF:'))).toEqual(['#EXTINF:10.000,', '#EXTINF:10.000,']);
    expect(lines.filter((l) => l.startsWith('/api/'))).toEqual(body.items.map((i) => i.url));
    expect(lines).toContain('#EXT-X-ENDLIST');
    // Each chunk URL in the playlist is servable.
    const first = await fetch(`http://127.0.0.1:${h.http.port}${body.items[0]!.url}`, {
      headers: bearer(h.tokens.clinician),
    });
    mediaRequests += 1;
    expect(first.status).toBe(200);
    await first.arrayBuffer();
  });
});

describe('clip export', () => {
  it('exports one phase as an MP4 and serves it for download', async () => {
    mediaRequests += 1;
    const res = await fetch(`${base}/export`, {
      method: 'POST',
      headers: { ...bearer(h.tokens.clinician), 'content-type': 'application/json' },
      body: JSON.stringify({ segmentId: s.segmentIds[0], source: 'endoscope' }),
    });
    expect(res.status).toBe(200);
    const clip = (await res.json()) as { url: string; sizeBytes: number };
    mediaRequests += 1;
    const dl = await fetch(`http://127.0.0.1:${h.http.port}${clip.url}`, {
      headers: bearer(h.tokens.clinician),
    });
    expect(dl.status).toBe(200);
    expect(Buffer.from(await dl.arrayBuffer()).length).toBe(clip.sizeBytes);
    const { res: missing } = await media('/exports/nothing.mp4');
    expect(missing.status).toBe(404);
  });
});

describe('no way out of the recordings folder', () => {
  it('refuses traversal and names that are not in the recordings table', async () => {
    // Files that exist but are not chunks of this case.
    writeFileSync(join(h.recordingsDir, s.caseId, 'endoscope', 'secret.mp4'), 'not a chunk');
    const cases: Array<[string, number]> = [
      ['/media/endoscope/..%2F..%2F..%2Forsight.db', 400],
      ['/media/endoscope/%2e%2e%2forsight.db', 400],
      ['/media/endoscope/.hidden', 400],
      ['/media/..%2F..%2Fendoscope/00000.mp4', 400],
      ['/media/endoscope/orsight.db', 404],
      ['/media/endoscope/secret.mp4', 404],
      ['/media/room/00000.mp4', 404],
    ];
    for (const [path, status] of cases) {
      const { res, bytes } = await media(path);
      expect(res.status, path).toBe(status);
      expect((JSON.parse(bytes.toString()) as { code: string }).code, path).toBe(
        status === 400 ? 'VALIDATION_FAILED' : 'MEDIA_NOT_FOUND',
      );
    }
    const viaOtherCase = await fetch(
      `http://127.0.0.1:${h.http.port}/api/cases/..%2F..%2F/media/endoscope/00000.mp4`,
      {
        headers: bearer(h.tokens.clinician),
      },
    );
    mediaRequests += 1;
    expect(viaOtherCase.status).toBe(400);
  });

  it('refuses a recordings row whose path leads outside the folder', async () => {
    h.services.store.db
      .prepare(
        'INSERT INTO recordings (id, case_id, source_name, path, started_at, duration_ms, size_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(randomUUID(), s.caseId, 'endoscope', '../orsight.db', 0, 1, 1);
    const { res } = await media('/media/endoscope/orsight.db');
    expect(res.status).toBe(404);
  });
});

describe('media access control and audit', () => {
  it('refuses display tokens, display users and anonymous callers', async () => {
    const chunk = `/media/endoscope/${s.chunks[0]!.name}`;
    for (const [token, status] of [
      [h.tokens.displayToken, 403],
      [h.tokens.displayUser, 403],
      [null, 401],
    ] as const) {
      const { res, bytes } = await media(chunk, token);
      expect(res.status).toBe(status);
      expect(bytes.length).toBeLessThan(200);
    }
  });

  it('applies the same rules to HEAD requests', async () => {
    const url = `${base}/media/endoscope/${s.chunks[0]!.name}`;
    mediaRequests += 2;
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(401);
    const ok = await fetch(url, { method: 'HEAD', headers: bearer(h.tokens.clinician) });
    expect([ok.status, Number(ok.headers.get('content-length'))]).toEqual([200, s.chunks[0]!.bytes.length]);
  });

  it('left one audit entry for every media request made in this file', async () => {
    expect(mediaAudit().n).toBe(mediaRequests);
    const rows = h.services.audit.query({ limit: 500, action: 'media.view', target: s.caseId });
    const ranged = rows.find((r) => r.detail?.range === 'bytes=100-199');
    expect(ranged).toMatchObject({ actor: h.ids.clinician, detail: { status: 206, source: 'endoscope' } });
    expect(rows.some((r) => r.actor === `display:${h.ids.display}` && r.detail?.status === 403)).toBe(true);
    expect(rows.some((r) => r.actor === 'anonymous' && r.detail?.status === 401)).toBe(true);
    // Audit rows can be added, never changed or removed.
    expect(() => h.services.store.db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(() => h.services.store.db.prepare("UPDATE audit_log SET actor = 'x'").run()).toThrow(
      /append-only/,
    );
    const res = await call(
      h,
      { method: 'GET', url: `/api/audit?action=media.view&target=${s.caseId}&limit=1000` },
      h.tokens.admin,
    );
    expect((res.json() as { items: unknown[] }).items).toHaveLength(rows.length);
  });
});
