import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCommand } from '../../sync/index.js';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import {
  CaseWriter,
  type Central,
  captureLog,
  caseSynced,
  centralDb,
  deviceConfig,
  makeSync,
  openStore,
  startCentral,
} from './harness.js';

async function connect(broker: Broker, cn: string, clientId?: string): Promise<MqttClient> {
  const id = broker.identity(cn);
  const client = mqtt.connect(broker.url, {
    clientId,
    protocolVersion: 5,
    ca: readFileSync(broker.caFile),
    cert: readFileSync(id.cert),
    key: readFileSync(id.key),
    rejectUnauthorized: true,
    reconnectPeriod: 0,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

const publish = (c: MqttClient, topic: string, payload: string | Buffer) =>
  new Promise<Error | undefined>((resolve) =>
    c.publish(topic, payload, { qos: 1 }, (err) => resolve(err ?? undefined)),
  );

describe('fleet security (real mosquitto: TLS, client certificates, the repository ACL)', () => {
  let broker: Broker;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
  });

  it('a device cannot publish under another device, forge its acks, or read its commands', async () => {
    const listener = await connect(broker, 'central-2');
    const or1 = await connect(broker, 'site-a/or-1');
    const or2 = await connect(broker, 'site-a/or-2');
    const admin = await connect(broker, 'hq-admin');
    clients.push(listener, or1, or2, admin);
    const heard: string[] = [];
    listener.on('message', (t, p) => heard.push(`${t} ${p.toString()}`));
    await listener.subscribeAsync('orsight/v1/#', { qos: 1 });
    const or2Got: string[] = [];
    or2.on('message', (t, p) => or2Got.push(`${t} ${p.toString()}`));
    // or-2 tries to read or-1's commands as well as its own.
    await or2.subscribeAsync(['orsight/v1/site-a/or-1/cmd', 'orsight/v1/site-a/or-2/cmd'], { qos: 1 });

    const denied = await publish(or1, 'orsight/v1/site-a/or-2/rec/case', 'forged record');
    await publish(or1, 'orsight/v1/site-a/or-2/status', 'forged status');
    await publish(or1, 'orsight/v1/site-a/or-1/cmd', 'device issuing itself a command');
    await publish(or1, 'orsight/v1/site-b/or-1/rec/case', 'other site');
    await publish(or1, 'orsight/v1/site-a/or-1/rec/case', 'own record');
    await waitFor(() => heard.some((h) => h.endsWith('own record')), 10_000, 'own record to arrive');
    expect(heard.filter((h) => !h.endsWith('own record'))).toEqual([]);
    // MQTT 5: mosquitto answers the forbidden publish with "not authorized" (0x87).
    expect((denied as { code?: number } | undefined)?.code).toBe(0x87);

    await publish(admin, 'orsight/v1/site-a/or-1/cmd', 'for or-1 only');
    await publish(admin, 'orsight/v1/site-a/or-2/cmd', 'for or-2');
    await waitFor(() => or2Got.length > 0, 10_000, 'or-2 to receive its own command');
    expect(or2Got).toEqual(['orsight/v1/site-a/or-2/cmd for or-2']);

    // The client id is the certificate's: or-1 asking to be "site-a/or-2" is still or-1.
    const connectedAs = (cn: string) =>
      broker
        .log()
        .split('\n')
        .filter((l) => l.includes(` as ${cn} (`)).length;
    const before = { or1: connectedAs('site-a/or-1'), or2: connectedAs('site-a/or-2') };
    const spoof = await connect(broker, 'site-a/or-1', 'site-a/or-2');
    clients.push(spoof);
    await waitFor(
      () => connectedAs('site-a/or-1') === before.or1 + 1,
      5000,
      'spoof connection logged as or-1',
    );
    expect(connectedAs('site-a/or-2')).toBe(before.or2);
    await publish(spoof, 'orsight/v1/site-a/or-2/rec/case', 'spoofed');
    await publish(spoof, 'orsight/v1/site-a/or-1/rec/case', 'second marker');
    await waitFor(() => heard.some((h) => h.endsWith('second marker')), 10_000, 'marker');
    expect(heard.some((h) => h.endsWith('spoofed'))).toBe(false);
  });

  it('rejects unsigned, wrongly signed, tampered, stale, misaddressed and malformed commands; runs signed ones once', async () => {
    const hq = generateKeyPairSync('ed25519');
    const rogue = generateKeyPairSync('ed25519');
    const hqPem = hq.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const roguePem = rogue.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const dataDir = tempDir();
    const store = openStore(dataDir);
    const { log, text } = captureLog();
    const config = deviceConfig(broker, 'site-a', 'or-3', dataDir, {
      command_public_keys: [
        { id: 'hq-2026', public_key: hq.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      ],
    });
    const part = makeSync(config, store, log);
    await part.start();
    const admin = await connect(broker, 'hq-admin');
    clients.push(admin);
    try {
      await waitFor(() => part.health().state === 'connected', 10_000, 'box connected');
      const w = new CaseWriter(store.db, dataDir);
      const caseId = w.startCase();
      const base = {
        v: 1,
        target: { site: 'site-a', device: 'or-3' },
        keyId: 'hq-2026',
        issuedAtMs: Date.now(),
      };
      const resync = { ...base, id: 'cmd-resync-0001', type: 'resync_case', params: { caseId } };
      const topic = 'orsight/v1/site-a/or-3/cmd';
      const send = (m: unknown) => publish(admin, topic, typeof m === 'string' ? m : JSON.stringify(m));

      await send({ ...resync, id: 'cmd-unsigned-01' });
      await send(signCommand({ ...resync, id: 'cmd-rogue-0001' }, roguePem));
      await send({
        ...signCommand({ ...resync, id: 'cmd-tamper-001' }, hqPem),
        params: { caseId: 'other-case' },
      });
      await send(
        signCommand({ ...resync, id: 'cmd-stale-0001', issuedAtMs: Date.now() - 86_400_000 }, hqPem),
      );
      await send(
        signCommand({ ...resync, id: 'cmd-other-0001', target: { site: 'site-a', device: 'or-1' } }, hqPem),
      );
      await send(signCommand({ ...resync, id: 'cmd-badkey-001', keyId: 'nope' }, hqPem));
      await send('{"this is": not json');
      await send(signCommand({ ...base, id: 'cmd-schema-001', type: 'reboot_now', params: {} }, hqPem));
      await send(signCommand(resync, hqPem));
      await send(signCommand(resync, hqPem)); // replay
      await send(
        signCommand(
          {
            ...base,
            id: 'cmd-config-001',
            type: 'config_set',
            params: { changes: { sync: { upload_rate_bytes_per_s: 1_000_000 } } },
          },
          hqPem,
        ),
      );
      await send(
        signCommand(
          {
            ...base,
            id: 'cmd-config-002',
            type: 'config_set',
            params: { changes: { http: { port: 'eighty' } } },
          },
          hqPem,
        ),
      );

      const counters = () =>
        Object.fromEntries(
          (
            store.db.prepare('SELECT name, value FROM sync_counters').all() as Array<{
              name: string;
              value: number;
            }>
          ).map((r) => [r.name, r.value]),
        );
      await waitFor(
        () =>
          (store.db.prepare('SELECT count(*) AS n FROM sync_commands').get() as { n: number }).n === 3 &&
          Object.values(counters()).reduce((a, b) => a + b, 0) >= 9,
        15_000,
        'all commands handled',
      );
      expect(counters()).toEqual({
        'commands_rejected:COMMAND_UNSIGNED': 1,
        'commands_rejected:COMMAND_BAD_SIGNATURE': 2,
        'commands_rejected:COMMAND_STALE': 1,
        'commands_rejected:COMMAND_WRONG_DEVICE': 1,
        'commands_rejected:COMMAND_UNKNOWN_KEY': 1,
        'commands_rejected:COMMAND_MALFORMED': 1,
        'commands_rejected:COMMAND_INVALID': 1,
        'commands_rejected:COMMAND_REPLAY': 1,
      });
      const ran = store.db.prepare('SELECT id, status FROM sync_commands ORDER BY id').all();
      expect(ran).toEqual([
        { id: 'cmd-config-001', status: 'applied' },
        { id: 'cmd-config-002', status: 'failed' },
        { id: 'cmd-resync-0001', status: 'applied' },
      ]);
      const remote = JSON.parse(readFileSync(join(dataDir, 'remote-config.json'), 'utf8'));
      expect(remote).toEqual({ sync: { upload_rate_bytes_per_s: 1_000_000 } });
      const rejected = captureLines(text(), 'command rejected');
      expect(rejected.map((l) => l.code).sort()).toContain('COMMAND_BAD_SIGNATURE');
      expect(rejected).toHaveLength(9);
      expect(part.health().state).toBe('connected');
      // Every outcome goes back to headquarters through the outbox.
      const results = store.db
        .prepare(`SELECT count(*) AS n FROM outbox WHERE topic = 'rec/command_result'`)
        .get() as { n: number };
      expect(results.n).toBe(12);
    } finally {
      await part.stop();
      store.close();
    }
    expect(existsSync(join(dataDir, 'remote-config.json.tmp'))).toBe(false);
  });

  describe('malformed input crashes neither side', () => {
    let central: Central;
    const centralDir = tempDir('orsight-central-');
    beforeAll(async () => {
      central = await startCentral(broker, centralDir);
    });
    afterAll(async () => {
      await central?.stop();
    });

    it('central logs and skips malformed records and file steps; the box logs and skips malformed acks', async () => {
      const dataDir = tempDir();
      const store = openStore(dataDir);
      const { log, text } = captureLog();
      const part = makeSync(deviceConfig(broker, 'site-a', 'or-4', dataDir), store, log);
      await part.start();
      const dev = await connect(broker, 'site-a/or-5');
      const hq = await connect(broker, 'central-2');
      clients.push(dev, hq);
      try {
        await publish(dev, 'orsight/v1/site-a/or-5/rec/case', 'not json at all');
        await publish(dev, 'orsight/v1/site-a/or-5/rec/case', JSON.stringify({ v: 1, id: 'x', seq: -1 }));
        await publish(
          dev,
          'orsight/v1/site-a/or-5/rec/case',
          JSON.stringify({ v: 1, id: 'x', seq: 1, kind: 'event', caseId: null, createdAtMs: 1, data: {} }),
        );
        await publish(dev, 'orsight/v1/site-a/or-5/file/abc/init', '{"size": "big"}');
        await publish(dev, 'orsight/v1/site-a/or-5/file/abc/0/zz', Buffer.from('bytes'));
        await publish(dev, 'orsight/v1/site-a/or-5/status', Buffer.from([0xff, 0x00]));
        await publish(hq, 'orsight/v1/site-a/or-4/ack', '{"v":1,"ids":"all of them"}');
        await publish(hq, 'orsight/v1/site-a/or-4/ack', Buffer.from([1, 2, 3]));
        await waitFor(
          () => captureLines(central.output(), 'malformed message rejected').length >= 5,
          10_000,
          'central to reject',
        );
        await waitFor(
          () => captureLines(text(), 'malformed acknowledgement ignored').length >= 2,
          10_000,
          'box to reject',
        );
        // Both still work: a real case from or-4 goes through.
        const w = new CaseWriter(store.db, dataDir);
        const caseId = w.startCase();
        w.endCase(caseId);
        await waitFor(() => caseSynced(store.db, caseId), 20_000, 'case synced after malformed input');
        expect(central.child.exitCode).toBeNull();
        const db = centralDb(centralDir);
        expect(db.prepare(`SELECT count(*) AS n FROM records WHERE device = 'or-5'`).get()).toEqual({ n: 0 });
        db.close();
      } finally {
        await part.stop();
        store.close();
      }
    });
  });
});

function captureLines(text: string, msg: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg);
}
