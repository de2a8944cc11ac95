import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import {
  CaseWriter,
  captureLog,
  caseSynced,
  centralDb,
  deviceConfig,
  makeSync,
  openStore,
  useHeadquarters,
} from './harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('broker outage in the middle of a case and of an upload', () => {
  const hq = useHeadquarters();

  it('everything arrives after the broker returns, with no duplicates at headquarters', async () => {
    const dataDir = tempDir();
    const store = openStore(dataDir);
    const { log, text } = captureLog();
    const chunkBytes = 32_768;
    const config = deviceConfig(hq.broker, 'site-a', 'or-1', dataDir, {
      file_chunk_bytes: chunkBytes,
      file_chunk_window: 2,
      upload_rate_bytes_per_s: 400_000,
    });
    const part = makeSync(config, store, log);
    await part.start();
    try {
      const w = new CaseWriter(store.db, dataDir);
      const caseId = w.startCase();
      w.segment(caseId, 'preparation');
      const rec = w.recording(caseId, 1_500_000);
      // Wait until the upload is under way, then take the broker away.
      await waitFor(
        () => {
          const up = part.health().detail?.uploading as { ackedBytes: number } | null;
          return up && up.ackedBytes >= 4 * chunkBytes;
        },
        30_000,
        'upload under way',
      );
      await hq.broker.stop();
      await waitFor(() => part.health().state === 'connecting', 20_000, 'box to notice the outage');
      // The case goes on while headquarters is unreachable.
      w.segment(caseId, 'dissection');
      w.event(caseId, 'source_lost');
      w.bookmark(caseId);
      w.segment(caseId, 'closure');
      w.endCase(caseId);
      expect(part.health().detail?.pending).toBeGreaterThan(0);
      await hq.broker.start();

      await waitFor(() => caseSynced(store.db, caseId), 60_000, 'case synced after the outage');
      const db = centralDb(hq.centralDir);
      // Every outbox item of the box is stored once at headquarters (by its stable id).
      const boxIds = (
        store.db.prepare(`SELECT id FROM outbox WHERE kind = 'record' AND case_id = ?`).all(caseId) as Array<{
          id: string;
        }>
      )
        .map((r) => r.id)
        .sort();
      const hqIds = (
        db.prepare('SELECT msg_id FROM messages WHERE device = ? ORDER BY msg_id').all('or-1') as Array<{
          msg_id: string;
        }>
      ).map((r) => r.msg_id);
      expect(hqIds.filter((id) => boxIds.includes(id))).toEqual(boxIds);
      expect(new Set(hqIds).size).toBe(hqIds.length);
      const segs = store.db
        .prepare('SELECT count(*) AS n FROM phase_segments WHERE case_id = ?')
        .get(caseId) as { n: number };
      expect(
        db
          .prepare(`SELECT count(*) AS n FROM records WHERE kind = 'phase_segment' AND case_id = ?`)
          .get(caseId),
      ).toEqual({ n: segs.n });
      const file = db.prepare('SELECT path, sha256 FROM files WHERE recording_id = ?').get(rec.id) as {
        path: string;
        sha256: string;
      };
      expect(sha(readFileSync(file.path))).toBe(sha(rec.data));
      const chunks = db.prepare('SELECT count(*) AS n FROM file_chunks WHERE file_id = ?').get(rec.id) as {
        n: number;
      };
      expect(chunks.n).toBe(Math.ceil(1_500_000 / chunkBytes));
      db.close();
      expect(text()).toContain('broker connection lost');
      expect(text()).toContain('file upload interrupted; will resume');
    } finally {
      await part.stop();
      store.close();
    }
  });
});
