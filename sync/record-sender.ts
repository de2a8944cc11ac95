import type { Logger } from '../daemon/log.js';
import { backoffMs } from './backoff.js';
import type { RecordEnvelope } from './messages.js';
import type { Outbox, OutboxItem } from './outbox.js';

export interface Publisher {
  readonly connected: boolean;
  publish(topic: string, payload: Buffer | string): Promise<void>;
}

export interface RecordSenderOptions {
  inflightMax: number;
  ackTimeoutMs: number;
  retryMinMs: number;
  retryMaxMs: number;
}

/**
 * Sends due outbox records at QoS 1 within a bounded in-flight window, in priority and
 * sequence order, and forgets them only when headquarters acknowledges them. An item not
 * acknowledged in time becomes due again with a growing back-off.
 */
export class RecordSender {
  /** outbox id -> deadline (ms) after which the slot is freed. */
  private readonly inflight = new Map<string, number>();
  private pumping = false;
  sentTotal = 0;
  ackedTotal = 0;
  lastAckAtMs: number | undefined;

  constructor(
    private readonly outbox: Outbox,
    private readonly link: Publisher,
    private readonly topicBase: string,
    private readonly options: RecordSenderOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get inFlight(): number {
    return this.inflight.size;
  }

  /** The connection dropped: nothing in flight will be acknowledged through it. */
  reset(): void {
    this.inflight.clear();
    this.outbox.makeUnackedDue(this.now());
  }

  /** Fills the window with due records. Safe to call often. */
  pump(): void {
    if (this.pumping || !this.link.connected) return;
    this.pumping = true;
    try {
      const nowMs = this.now();
      for (const [id, deadline] of this.inflight) if (deadline <= nowMs) this.inflight.delete(id);
      const free = this.options.inflightMax - this.inflight.size;
      const items = this.outbox.dueRecords(nowMs, free).filter((i) => !this.inflight.has(i.id));
      if (items.length === 0) return;
      const sent: Array<{ seq: number; nextTryAtMs: number }> = [];
      for (const item of items) {
        const wait =
          this.options.ackTimeoutMs +
          backoffMs(item.attempts, this.options.retryMinMs, this.options.retryMaxMs);
        const payload = this.envelope(item);
        if (payload === undefined) {
          this.outbox.drop(item.seq, 'malformed', nowMs);
          this.log.error({ id: item.id }, 'outbox item is not valid JSON; dropped');
          continue;
        }
        this.inflight.set(item.id, nowMs + wait);
        sent.push({ seq: item.seq, nextTryAtMs: nowMs + wait });
        this.link.publish(`${this.topicBase}/${item.topic}`, payload).catch((err: Error) => {
          // Lost with the connection (due again on reconnect), or refused by the broker: a
          // refusal (e.g. 0x87 not authorized) is a configuration problem worth a warning.
          this.inflight.delete(item.id);
          const code = (err as { code?: unknown }).code;
          if (typeof code === 'number')
            this.log.warn(
              { id: item.id, topic: item.topic, code, err: err.message },
              'broker refused a publish',
            );
          else this.log.debug({ id: item.id, err: err.message }, 'publish failed');
        });
      }
      this.outbox.markSent(sent, nowMs);
      this.sentTotal += sent.length;
    } finally {
      this.pumping = false;
    }
  }

  /** Headquarters stored these ids durably. */
  onAck(ids: readonly string[]): number {
    const nowMs = this.now();
    const seqs = this.outbox.ack(ids, nowMs);
    for (const id of ids) this.inflight.delete(id);
    this.ackedTotal += seqs.length;
    this.lastAckAtMs = nowMs;
    return seqs.length;
  }

  private envelope(item: OutboxItem): string | undefined {
    let data: unknown;
    try {
      data = JSON.parse(item.payload?.toString() ?? 'null');
    } catch {
      return undefined;
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
    const kind = item.topic.startsWith('rec/') ? item.topic.slice(4) : item.topic;
    const env: RecordEnvelope = {
      v: 1,
      id: item.id,
      seq: item.seq,
      kind,
      caseId: item.caseId,
      createdAtMs: item.createdAtMs,
      data: data as Record<string, unknown>,
    };
    return JSON.stringify(env);
  }
}
