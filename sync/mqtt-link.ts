import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../daemon/log.js';
import { backoffMs } from './backoff.js';

export interface LinkOptions {
  url: string;
  clientId: string;
  caFile?: string;
  certFile?: string;
  /** PEM private key (the config's `key`, already read from key_file). */
  key?: string;
  username?: string;
  password?: string;
  keepaliveS: number;
  connectTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Session kept by the broker while we are away (commands and acks wait there). */
  sessionExpiryS: number;
  will?: { topic: string; payload: Buffer; retain: boolean };
  subscriptions: string[];
}

export interface LinkEvents {
  up: () => void;
  down: (reason: string) => void;
  message: (topic: string, payload: Buffer) => void;
}

/**
 * One MQTT connection (mqtt.js, MQTT 5, TLS with a pinned CA and a client certificate).
 * Reconnects itself with jittered exponential back-off; mqtt.js's own fixed-period
 * reconnect is off. Nothing here is relied on for durability: the outbox is.
 */
export class MqttLink {
  private client: MqttClient | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private readonly handlers: { [K in keyof LinkEvents]: Array<LinkEvents[K]> } = {
    up: [],
    down: [],
    message: [],
  };
  connectedSinceMs: number | undefined;
  reconnects = 0;
  lastError: string | undefined;

  constructor(
    private readonly options: LinkOptions,
    private readonly log: Logger,
  ) {}

  on<K extends keyof LinkEvents>(event: K, fn: LinkEvents[K]): void {
    this.handlers[event].push(fn);
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  start(): void {
    this.stopped = false;
    const o = this.options;
    const opts: IClientOptions = {
      clientId: o.clientId,
      protocolVersion: 5,
      clean: false,
      keepalive: o.keepaliveS,
      connectTimeout: o.connectTimeoutMs,
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      properties: { sessionExpiryInterval: o.sessionExpiryS },
      rejectUnauthorized: true,
      username: o.username,
      password: o.password,
      ca: o.caFile ? readFileSync(o.caFile) : undefined,
      cert: o.certFile ? readFileSync(o.certFile) : undefined,
      key: o.key,
      will: o.will
        ? { topic: o.will.topic, payload: o.will.payload, qos: 1, retain: o.will.retain }
        : undefined,
    };
    const client = mqtt.connect(o.url, opts);
    this.client = client;
    client.on('connect', () => {
      // Small acks and responses must not wait for Nagle + delayed ACK (40 ms stalls).
      (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
      this.failures = 0;
      this.connectedSinceMs = Date.now();
      this.log.info({ url: o.url, clientId: o.clientId }, 'connected to broker');
      if (o.subscriptions.length > 0) {
        client.subscribe(o.subscriptions, { qos: 1 }, (err, granted) => {
          if (err) this.log.error({ err }, 'subscribe failed');
          for (const g of granted ?? []) {
            if (g.qos > 2)
              this.log.error({ topic: g.topic, code: g.qos }, 'subscription refused by the broker');
          }
        });
      }
      this.emit('up');
    });
    client.on('message', (topic, payload) => this.emit('message', topic, payload));
    client.on('error', (err) => {
      this.lastError = err.message;
      this.log.warn(
        { err: { message: err.message, code: (err as { code?: unknown }).code } },
        'broker error',
      );
    });
    client.on('close', () => {
      const wasUp = this.connectedSinceMs !== undefined;
      this.connectedSinceMs = undefined;
      if (wasUp) this.emit('down', this.lastError ?? 'connection closed');
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delayMs = backoffMs(this.failures, this.options.reconnectMinMs, this.options.reconnectMaxMs);
    this.failures += 1;
    this.log.debug({ delayMs }, 'reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopped || !this.client) return;
      this.reconnects += 1;
      this.client.reconnect();
    }, delayMs);
  }

  /** Publishes; resolves on PUBACK (QoS 1), rejects on error. Callers must not rely on it for durability. */
  publish(
    topic: string,
    payload: Buffer | string,
    options: IClientPublishOptions = { qos: 1 },
  ): Promise<void> {
    const client = this.client;
    if (!client?.connected) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, options, (err) => (err ? reject(err) : resolve()));
    });
  }

  async stop(final?: { topic: string; payload: Buffer; retain: boolean }, timeoutMs = 2000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (final && client.connected) {
      await Promise.race([
        new Promise<void>((r) =>
          client.publish(final.topic, final.payload, { qos: 1, retain: final.retain }, () => r()),
        ),
        new Promise<void>((r) => setTimeout(r, timeoutMs).unref()),
      ]);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        client.end(true);
        resolve();
      }, timeoutMs);
      t.unref();
      client.end(false, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private emit<K extends keyof LinkEvents>(event: K, ...args: Parameters<LinkEvents[K]>): void {
    for (const fn of this.handlers[event]) {
      try {
        (fn as (...a: Parameters<LinkEvents[K]>) => void)(...args);
      } catch (err) {
        this.log.error({ err, event }, 'sync listener failed');
      }
    }
  }
}
