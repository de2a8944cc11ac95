import type { WebSocket } from 'ws';
import type { LiveStateStore } from '../../daemon/cases/index.js';
import { LIVE_CLOSE, type LiveMessage, type LiveState } from '../live-types.js';

export interface LiveHubOptions {
  live: LiveStateStore;
  log: { warn(obj: object, msg: string): void };
  heartbeatIntervalMs: number;
  maxClients: number;
  sendBufferBytes: number;
}

interface Client {
  /** May see PHI fields (case label, surgeon): signed-in users, not display tokens. */
  phi: boolean;
  alive: boolean;
}

/** The case fields a display token must never receive. */
function withoutPhi<T extends Partial<LiveState>>(s: T): T {
  if (!s.case) return s;
  const { label: _label, surgeonId: _surgeon, ...rest } = s.case;
  return { ...s, case: rest };
}

/**
 * Fans the room's live state out to WebSocket clients: a snapshot on connect (and on
 * `resync`), each change as a delta in the same tick as the event, a heartbeat every few
 * seconds. A message is serialised once per audience (with / without PHI), not per client.
 * A client that stops answering pings, or lets unsent data pile up, is dropped; it
 * reconnects and resyncs.
 */
export class LiveHub {
  private readonly clients = new Map<WebSocket, Client>();
  private unsubscribe: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly o: LiveHubOptions) {}

  get size(): number {
    return this.clients.size;
  }

  start(): void {
    this.unsubscribe = this.o.live.subscribe((changes, seq) =>
      this.broadcast((phi) => ({
        type: 'delta',
        serverTimeMs: Date.now(),
        seq,
        changes: phi ? changes : withoutPhi(changes),
      })),
    );
    this.heartbeat = setInterval(() => this.beat(), this.o.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    clearInterval(this.heartbeat);
    for (const ws of this.clients.keys()) ws.close(LIVE_CLOSE.goingAway, 'server shutting down');
    this.clients.clear();
  }

  add(ws: WebSocket, phi: boolean): void {
    if (this.clients.size >= this.o.maxClients) {
      this.o.log.warn({ clients: this.clients.size }, 'live channel full; refusing a client');
      ws.close(LIVE_CLOSE.tryAgainLater, 'too many live clients');
      return;
    }
    const client: Client = { phi, alive: true };
    this.clients.set(ws, client);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('message', (data) => {
      let msg: unknown;
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      if ((msg as { type?: unknown })?.type === 'resync') this.sendSnapshot(ws, client);
    });
    ws.on('close', () => this.clients.delete(ws));
    ws.on('error', () => this.clients.delete(ws));
    this.sendSnapshot(ws, client);
  }

  private sendSnapshot(ws: WebSocket, client: Client): void {
    const { state, seq } = this.o.live.snapshot();
    const msg: LiveMessage = {
      type: 'snapshot',
      serverTimeMs: Date.now(),
      seq,
      state: client.phi ? state : withoutPhi(state),
    };
    this.send(ws, JSON.stringify(msg));
  }

  private broadcast(make: (phi: boolean) => LiveMessage): void {
    if (this.clients.size === 0) return;
    // Serialised and UTF-8 encoded once per audience, not once per client.
    const frames: Partial<Record<'phi' | 'plain', Buffer>> = {};
    for (const [ws, client] of this.clients) {
      const key = client.phi ? 'phi' : 'plain';
      frames[key] ??= Buffer.from(JSON.stringify(make(client.phi)));
      this.send(ws, frames[key]);
    }
  }

  private send(ws: WebSocket, data: string | Buffer): void {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > this.o.sendBufferBytes) {
      this.o.log.warn({ bufferedBytes: ws.bufferedAmount }, 'live client too slow; dropping it');
      this.clients.delete(ws);
      ws.close(LIVE_CLOSE.tooSlow, 'too slow; reconnect to resync');
      return;
    }
    // Text frames: browsers hand them to onmessage as strings.
    ws.send(data, { binary: false });
  }

  private beat(): void {
    const seq = this.o.live.seq;
    for (const [ws, client] of this.clients) {
      if (!client.alive) {
        this.clients.delete(ws);
        ws.terminate();
        continue;
      }
      client.alive = false;
      ws.ping();
    }
    this.broadcast(() => ({ type: 'heartbeat', serverTimeMs: Date.now(), seq }));
  }
}
