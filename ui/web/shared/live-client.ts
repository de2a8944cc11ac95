import type { LiveClientMessage, LiveMessage, LiveState } from '../../live-types.js';
import { ServerClock } from './server-clock.js';
import { CLIENT } from './settings.js';

export type LinkState = 'connecting' | 'live' | 'unreachable' | 'unauthorized';

export interface LiveView {
  link: LinkState;
  /** Last known state; kept (and shown greyed) while unreachable. */
  state: LiveState | null;
  /** Server time of the last message received. */
  lastMessageAtMs: number | null;
}

export interface LiveClientOptions {
  url: string;
  onChange: (view: LiveView) => void;
  clock?: ServerClock;
}

/** Where the client asks, after a refused upgrade, whether the daemon itself is up. */
const HEALTH_URL = '/healthz';

/**
 * The live channel client: applies the snapshot then deltas, tracks the server clock,
 * notices silence (no heartbeat) and reconnects by itself with back-off. After each
 * reconnect the server sends a fresh snapshot, which replaces the state.
 */
export class LiveClient {
  readonly clock: ServerClock;
  private ws: WebSocket | undefined;
  private view: LiveView = { link: 'connecting', state: null, lastMessageAtMs: null };
  private lastSeq = -1;
  private backoffMs: number = CLIENT.reconnectInitialMs;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private silenceTimer: ReturnType<typeof setTimeout> | undefined;
  private unreachableTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly options: LiveClientOptions) {
    this.clock = options.clock ?? new ServerClock();
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.silenceTimer);
    clearTimeout(this.unreachableTimer);
    this.ws?.close(1000, 'page closed');
  }

  get current(): LiveView {
    return this.view;
  }

  private connect(): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.options.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
    };
    this.armSilence();
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let msg: LiveMessage;
      try {
        msg = JSON.parse(ev.data) as LiveMessage;
      } catch {
        return;
      }
      this.onMessage(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      clearTimeout(this.silenceTimer);
      if (this.stopped) return;
      this.markUnreachableSoon();
      this.scheduleReconnect();
      // Never opened: either the daemon is down, or it refused the upgrade (401/403: the
      // display token is wrong or revoked). The health probe tells the two apart.
      if (!opened && ev.code === 1006) void this.probeRefusal();
    };
    // Errors are followed by close; nothing else to do here (and nothing to log: a daemon
    // restart is expected and must not fill the console).
    ws.onerror = () => undefined;
  }

  private onMessage(msg: LiveMessage): void {
    // A snapshot starts a new connection, possibly to a restarted daemon: fresh clock samples.
    if (msg.type === 'snapshot') this.clock.reset();
    this.clock.sample(msg.serverTimeMs);
    this.armSilence();
    if (msg.type === 'snapshot') {
      this.backoffMs = CLIENT.reconnectInitialMs;
      clearTimeout(this.unreachableTimer);
      this.lastSeq = msg.seq;
      this.update({ link: 'live', state: msg.state, lastMessageAtMs: msg.serverTimeMs });
      return;
    }
    if (msg.type === 'delta') {
      const state = this.view.state;
      if (!state || msg.seq <= this.lastSeq) return;
      // A gap in seq means a delta was missed: apply this one, and ask for a fresh snapshot.
      if (msg.seq > this.lastSeq + 1) this.send({ type: 'resync' });
      this.lastSeq = msg.seq;
      this.update({ link: 'live', state: { ...state, ...msg.changes }, lastMessageAtMs: msg.serverTimeMs });
      return;
    }
    if (this.view.state && msg.seq > this.lastSeq) this.send({ type: 'resync' });
    this.update({ link: this.view.state ? 'live' : this.view.link, lastMessageAtMs: msg.serverTimeMs });
  }

  private async probeRefusal(): Promise<void> {
    try {
      const res = await fetch(HEALTH_URL, { cache: 'no-store' });
      if (res.ok && !this.ws && !this.stopped) {
        clearTimeout(this.unreachableTimer);
        this.update({ link: 'unauthorized' });
      }
    } catch {
      // Daemon down: "unreachable" stands.
    }
  }

  private send(msg: LiveClientMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  /** A socket that stays silent past the heartbeat period is dead even if TCP has not noticed. */
  private armSilence(): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      const ws = this.ws;
      if (!ws) return;
      this.ws = undefined;
      ws.close(4000, 'silent');
      this.markUnreachableSoon();
      this.scheduleReconnect();
    }, CLIENT.liveSilenceMs);
  }

  private markUnreachableSoon(): void {
    if (this.view.link === 'unreachable' || this.view.link === 'unauthorized') return;
    clearTimeout(this.unreachableTimer);
    this.unreachableTimer = setTimeout(() => this.update({ link: 'unreachable' }), CLIENT.unreachableGraceMs);
  }

  private scheduleReconnect(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      if (!this.stopped) this.connect();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, CLIENT.reconnectMaxMs);
  }

  private update(patch: Partial<LiveView>): void {
    this.view = { ...this.view, ...patch };
    this.options.onChange(this.view);
  }
}

/** ws:// or wss:// URL of a path on this origin. */
export function wsUrl(path: string, query: Record<string, string> = {}): string {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url.toString();
}
