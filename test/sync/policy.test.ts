import { describe, expect, it } from 'vitest';
import { runCli, waitFor } from '../helpers/process.js';
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

interface DeviceRow {
  state: string | null;
  telemetry: string | null;
}

describe('policies: disk policy drops, upload windows, out-of-body video, status and telemetry', () => {
  const hq = useHeadquarters();
  const device = (name: string) => {
    const db = centralDb(hq.centralDir);
    const row = db.prepare('SELECT state, telemetry FROM devices WHERE device = ?').get(name) as
      | DeviceRow
      | undefined;
    db.close();
    return row;
  };

  it('when the disk policy drops video, it is counted, reported in telemetry and logged', async () => {
    const dataDir = tempDir();
    const store = openStore(dataDir);
    const w = new CaseWriter(store.db, dataDir);
    const caseId = w.startCase();
    w.recording(caseId, 50_000);
    w.endCase(caseId);
    const { log, text } = captureLog();
    // More free space demanded than any test disk has: the policy must drop.
    const config = deviceConfig(hq.broker, 'site-a', 'or-6', dataDir, {
      disk_min_free_mb: 10_000_000,
      // The upload window is 12 hours away: the video stays pending until the policy drops it.
      upload_windows: [`* ${(new Date().getHours() + 12) % 24} * * *`],
      disk_check_interval_s: 1,
      telemetry_cron: '*/1 * * * * *',
    });
    const part = makeSync(config, store, log);
    await part.start();
    try {
      const t = await waitFor(
        () => {
          const row = device('or-6');
          const tel = row?.telemetry
            ? (JSON.parse(row.telemetry) as { outbox: { dropped: Record<string, number> } })
            : undefined;
          return tel?.outbox.dropped['policy:disk_low'] ? tel : undefined;
        },
        20_000,
        'telemetry reporting the drop',
      );
      expect(t.outbox.dropped).toEqual({ 'policy:disk_low': 1 });
      expect(text()).toContain('disk policy dropped pending video uploads');
      const status = runCli(['sync', 'status', '--db', `${dataDir}/orsight.db`, '--json']);
      expect(JSON.parse(status.stdout).dropped).toEqual({ 'policy:disk_low': 1 });
      // Dropped data is not "synced": the case stays incomplete, visibly.
      expect(caseSynced(store.db, caseId)).toBe(false);
      expect(device('or-6')?.state).toBe('online');
    } finally {
      await part.stop();
      store.close();
    }
    await waitFor(() => device('or-6')?.state === 'offline', 10_000, 'offline status on a clean stop');
  });

  it('outside the upload window records flow at once and video waits; out-of-body video is not uploaded', async () => {
    const dataDir = tempDir();
    const store = openStore(dataDir);
    const { log, text } = captureLog();
    const hour = (new Date().getHours() + 12) % 24;
    const config = deviceConfig(hq.broker, 'site-a', 'or-7', dataDir, {
      upload_windows: [`* ${hour} * * *`],
    });
    const part = makeSync(config, store, log);
    await part.start();
    try {
      const w = new CaseWriter(store.db, dataDir);
      const caseId = w.startCase();
      const t0 = Date.now();
      w.event(caseId, 'out_of_body_in', t0);
      w.recording(caseId, 10_000, t0 + 1000); // 10 s chunk entirely out of body
      w.event(caseId, 'out_of_body_out', t0 + 60_000);
      const inBody = w.recording(caseId, 20_000, t0 + 70_000);
      w.endCase(caseId);
      await waitFor(
        () =>
          (
            store.db
              .prepare(`SELECT count(*) AS n FROM outbox WHERE kind = 'record' AND acked_at IS NULL`)
              .get() as { n: number }
          ).n === 0,
        20_000,
        'records acknowledged',
      );
      const files = store.db.prepare(`SELECT acked_at, dropped_at FROM outbox WHERE kind = 'file'`).all();
      expect(files).toEqual([
        { acked_at: null, dropped_at: null },
        { acked_at: null, dropped_at: null },
      ]);
      const db = centralDb(hq.centralDir);
      expect(db.prepare(`SELECT count(*) AS n FROM files WHERE device = 'or-7'`).get()).toEqual({ n: 0 });
      db.close();
      await part.stop();

      // The window opens (config change at the next start): the in-body chunk goes, the other is excluded.
      const open = makeSync(
        deviceConfig(hq.broker, 'site-a', 'or-7', dataDir, { upload_windows: ['* * * * *'] }),
        store,
        log,
      );
      await open.start();
      try {
        await waitFor(() => caseSynced(store.db, caseId), 20_000, 'case synced');
        const d = centralDb(hq.centralDir);
        expect(d.prepare(`SELECT recording_id FROM files WHERE device = 'or-7'`).all()).toEqual([
          { recording_id: inBody.id },
        ]);
        d.close();
        expect(text()).toContain('excluded:out_of_body_or_paused');
      } finally {
        await open.stop();
      }
    } finally {
      await part.stop();
      store.close();
    }
  });
});
