import { beforeAll, describe, expect, it } from 'vitest';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { CaseWriter, caseSynced, centralDb, makeBox, startCentral } from './harness.js';

describe('orsight-central scales out (shared subscription)', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });

  it('several ingest processes share the load through the shared subscription; each record is stored once', async () => {
    const sharedDir = tempDir('orsight-central-shared-');
    const c1 = await startCentral(broker, sharedDir, { clientId: 'central-1', logLevel: 'debug' });
    const c2 = await startCentral(broker, sharedDir, { clientId: 'central-2', logLevel: 'debug' });
    const box = makeBox(broker, 'site-b', 'or-1');
    const { dataDir, store, part } = box;
    await part.start();
    try {
      const w = new CaseWriter(store.db, dataDir);
      const caseId = w.startCase();
      for (let i = 0; i < 300; i++) w.event(caseId, 'phase_hint');
      w.endCase(caseId);
      await waitFor(() => caseSynced(store.db, caseId), 30_000, 'case synced');
      const storedBy = (out: string) =>
        out
          .split('\n')
          .filter((l) => l.includes('"records stored"'))
          .reduce((n, l) => n + (JSON.parse(l) as { stored: number }).stored, 0);
      const shared = centralDb(sharedDir);
      const total = (
        shared.prepare(`SELECT count(*) AS n FROM messages WHERE site = 'site-b'`).get() as { n: number }
      ).n;
      const distinct = (
        shared.prepare(`SELECT count(DISTINCT record_id) AS n FROM records WHERE kind = 'event'`).get() as {
          n: number;
        }
      ).n;
      shared.close();
      expect(distinct).toBe(300);
      const boxItems = (
        store.db.prepare(`SELECT count(*) AS n FROM outbox WHERE kind = 'record'`).get() as { n: number }
      ).n;
      // Each message went to exactly one member of the group and was stored once.
      expect(total).toBe(boxItems);
      // Each ingest logs what it stored after acknowledging it: its log lines reach this
      // process a moment after the box has seen the acknowledgements.
      await waitFor(
        () => storedBy(c1.output()) + storedBy(c2.output()) >= total,
        10_000,
        'both ingest logs to account for every stored message',
      );
      expect(storedBy(c1.output())).toBeGreaterThan(0);
      expect(storedBy(c2.output())).toBeGreaterThan(0);
    } finally {
      await box.close();
      await c1.stop();
      await c2.stop();
    }
  });
});
