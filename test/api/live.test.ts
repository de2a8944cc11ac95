import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { PhaseEvent } from '../../inference/index.js';
import type { LiveMessage } from '../../ui/live-types.js';
import { waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { bearer, type Harness, startHarness } from './api-harness.js';
import { testModel } from './seed.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness(tempDir(), { listen: true, overrides: { cases: { heartbeat_interval_ms: 300 } } });
  h.bus.emit('inference.model', testModel());
  h.bus.emit('capture.source_status', {
    source: 'endoscope',
    state: 'live',
    sinceMs: Date.now(),
    fpsIn: 30,
    fpsOut: 5,
    framesDropped: 0,
    restarts: 0,
    recording: true,
  });
});
afterAll(() => h?.close());

/** A live client that keeps every message with its arrival time. */
class Client {
  readonly messages: Array<LiveMessage & { receivedAtMs: number }> = [];
  readonly ws: WebSocket;
  readonly connectedAtMs = Date.now();
  closeCode: number | undefined;

  constructor(token: string, viaQuery = false) {
    const q = viaQuery ? `?token=${token}` : '';
    this.ws = new WebSocket(`ws://127.0.0.1:${h.http.port}/api/live${q}`, {
      headers: viaQuery ? {} : bearer(token),
    });
    this.ws.on('message', (d) =>
      this.messages.push({ ...(JSON.parse(String(d)) as LiveMessage), receivedAtMs: Date.now() }),
    );
    this.ws.on('close', (code) => {
      this.closeCode = code;
    });
  }

  of<T extends LiveMessage['type']>(type: T) {
    return this.messages.filter(
      (m): m is Extract<LiveMessage, { type: T }> & { receivedAtMs: number } => m.type === type,
    );
  }

  close() {
    this.ws.close();
  }
}

const phase = (p: string, atMs = Date.now()): PhaseEvent => ({
  type: 'phase_started',
  source: 'endoscope',
  phase: p,
  atMs,
  confidence: 0.8,
  modelVersion: 't-1',
});

describe('live channel', () => {
  it('sends a snapshot within 1 s of connecting, then every phase change as a delta', async () => {
    const admin = { kind: 'user', id: h.ids.admin, username: 'alice', role: 'admin' } as const;
    const c = h.services.engine.startCase(admin, { label: 'Private label', surgeonId: 's-9' });
    const client = new Client(h.tokens.clinician);
    const snap = await waitFor(() => client.of('snapshot')[0], 5000, 'the snapshot');
    expect(snap.receivedAtMs - client.connectedAtMs).toBeLessThan(1000);
    expect(snap.state).toMatchObject({
      room: 'OR 1',
      case: {
        id: c.id,
        procedure: 'lap_chole',
        startedAtMs: c.startedAtMs,
        label: 'Private label',
        surgeonId: 's-9',
      },
      modelVersion: 't-1',
      outOfBody: false,
    });
    expect(snap.state.sources.map((x) => [x.name, x.state])).toEqual([['endoscope', 'live']]);
    expect(snap.state.phases.map((p) => p.id)).toEqual([
      'preparation',
      'calot_triangle_dissection',
      'clipping_and_cutting',
    ]);
    expect(snap.state.prediction?.basis).toBe('model');

    const sequence = [
      'preparation',
      'calot_triangle_dissection',
      'clipping_and_cutting',
      'calot_triangle_dissection',
    ];
    for (const p of sequence) h.bus.emit('inference.phase', phase(p));
    await waitFor(
      () => client.of('delta').filter((d) => d.changes.phase).length === sequence.length,
      5000,
      'every phase delta',
    );
    const deltas = client.of('delta');
    expect(deltas.filter((d) => d.changes.phase).map((d) => d.changes.phase!.id)).toEqual(sequence);
    const last = deltas.at(-1)!;
    expect(last.changes.phase).toMatchObject({
      displayName: 'calot triangle dissection',
      color: '#111111',
      confidence: 0.8,
    });
    expect(last.changes.segments?.map((s) => s.phase)).toEqual(sequence);
    // seq counts every change; serverTimeMs is on every message.
    const seqs = deltas.map((d) => d.seq);
    expect(seqs).toEqual(seqs.map((_, i) => snap.seq + i + 1));
    for (const m of client.messages) expect(m.serverTimeMs).toBeGreaterThan(c.startedAtMs - 1);
    client.close();
  });

  it('sends heartbeats with the server clock', async () => {
    const client = new Client(h.tokens.displayToken, true);
    const beats = await waitFor(
      () => (client.of('heartbeat').length >= 2 ? client.of('heartbeat') : undefined),
      5000,
      'two heartbeats',
    );
    expect(beats[1]!.serverTimeMs).toBeGreaterThan(beats[0]!.serverTimeMs);
    expect(beats[0]!.seq).toBe(client.of('snapshot')[0]!.seq);
    client.close();
  });

  it('resyncs on request and after a reconnect, with what changed in between', async () => {
    const client = new Client(h.tokens.clinician);
    await waitFor(() => client.of('snapshot')[0], 5000, 'the snapshot');
    client.ws.send(JSON.stringify({ type: 'resync' }));
    client.ws.send('not json at all');
    await waitFor(() => client.of('snapshot').length === 2, 5000, 'a second snapshot');
    client.close();
    await waitFor(() => client.closeCode !== undefined, 5000, 'the close');
    h.bus.emit('inference.phase', phase('clipping_and_cutting'));
    const again = new Client(h.tokens.clinician);
    const snap = await waitFor(() => again.of('snapshot')[0], 5000, 'the snapshot after reconnect');
    expect(snap.state.phase?.id).toBe('clipping_and_cutting');
    again.close();
  });

  it('never sends PHI to a display token, in snapshots or deltas', async () => {
    const display = new Client(h.tokens.displayToken, true);
    const clinician = new Client(h.tokens.clinician);
    await waitFor(() => display.of('snapshot')[0] && clinician.of('snapshot')[0], 5000, 'both snapshots');
    const open = h.services.engine.currentCase!;
    h.services.engine.updateCase({ kind: 'system' }, open.id, {
      label: 'Another private label',
      surgeonId: 's-10',
    });
    await waitFor(() => clinician.of('delta').some((d) => d.changes.case), 5000, 'the case delta');
    await waitFor(() => display.of('delta').some((d) => d.changes.case), 5000, 'the display’s case delta');
    expect(clinician.of('delta').find((d) => d.changes.case)!.changes.case).toMatchObject({
      label: 'Another private label',
      surgeonId: 's-10',
    });
    const seen = JSON.stringify(display.messages);
    expect(seen).not.toMatch(/private label|s-10|s-9|surgeonId|"label"/i);
    expect(display.of('delta').find((d) => d.changes.case)!.changes.case).toEqual({
      id: open.id,
      procedure: 'lap_chole',
      startedAtMs: open.startedAtMs,
    });
    display.close();
    clinician.close();
  });

  it('refuses pages from another origin, accepts its own', async () => {
    const status = (origin: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${h.http.port}/api/live`, {
          headers: bearer(h.tokens.clinician),
          origin,
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          resolve(101);
          ws.close();
        });
      });
    expect(await status('https://evil.example')).toBe(403);
    expect(await status(`http://127.0.0.1:${h.http.port}`)).toBe(101);
  });

  it('disconnects a display whose token is revoked on its next connection', async () => {
    const pair = h.accounts.pairDisplay('temp', h.ids.admin);
    const ok = new Client(pair.token, true);
    await waitFor(() => ok.of('snapshot')[0], 5000, 'the snapshot');
    ok.close();
    h.accounts.revokeDisplay(pair.display.id);
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${h.http.port}/api/live?token=${pair.token}`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
    });
    expect(refused).toBe(401);
  });
});

describe('live channel limits', () => {
  it('refuses clients beyond live_max_clients with 1013 (try again later)', async () => {
    const small = await startHarness(tempDir(), {
      listen: true,
      overrides: { cases: { live_max_clients: 2 } },
    });
    try {
      const open = (n: number) =>
        Array.from({ length: n }, () => {
          const ws = new WebSocket(`ws://127.0.0.1:${small.http.port}/api/live`, {
            headers: bearer(small.tokens.clinician),
          });
          const first = new Promise<{ type?: string; close?: number }>((resolve) => {
            ws.once('message', (d) => resolve({ type: (JSON.parse(String(d)) as LiveMessage).type }));
            ws.once('close', (code) => resolve({ close: code }));
          });
          return { ws, first };
        });
      const two = open(2);
      expect(await Promise.all(two.map((c) => c.first))).toEqual([
        { type: 'snapshot' },
        { type: 'snapshot' },
      ]);
      const [third] = open(1);
      expect(await third!.first).toEqual({ close: 1013 });
      for (const c of two) c.ws.close();
    } finally {
      await small.close();
    }
  });
});
