import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import cron, { type ScheduledTask } from 'node-cron';
import type { Config } from '../config/index.js';
import type { EventBus } from '../daemon/bus.js';
import type { Logger } from '../daemon/log.js';
import type { Part, PartHealth } from '../daemon/part.js';
import { ROOT } from '../daemon/paths.js';
import type { Store } from '../daemon/store/index.js';
import { BusTelemetry } from './bus-telemetry.js';
import { type CommandActions, CommandHandler } from './commands.js';
import { DiskPolicy } from './disk-policy.js';
import { FileResponseWaiter } from './file-responses.js';
import { FileUploader } from './file-uploader.js';
import { isAckMessage, parseJson, type StatusMessage } from './messages.js';
import { type ActivateModel, ModelRollout } from './model-rollout.js';
import { MqttLink } from './mqtt-link.js';
import { Outbox } from './outbox.js';
import { RateLimiter } from './rate-limiter.js';
import { RecordSender } from './record-sender.js';
import { configSetAction } from './remote-config.js';
import type { SyncLinkState } from './status-route.js';
import { collectTelemetry, type TelemetrySources } from './telemetry.js';
import { defaultClientId, deviceTopics, fileResponseTopic } from './topics.js';
import { UploadWindow } from './upload-window.js';

const ORSIGHT_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

export interface SyncPartDeps {
  config: Pick<Config, 'sync' | 'device' | 'storage'>;
  /** The open store (StorePart starts first). */
  store: () => Store;
  log: Logger;
  telemetry?: TelemetrySources;
  modelVersion?: () => string | null;
  actions?: Partial<CommandActions>;
  /** The daemon bus: capture source status and inference latency go into telemetry. */
  bus?: EventBus;
  /** The inference part's model swap (refuses a bad package, keeping the old model). */
  activateModel?: ActivateModel;
}

/**
 * Sync to headquarters: the outbox sender, video uploads, telemetry, status and commands over
 * one MQTT connection. Starting never waits for the broker: the box works offline and
 * catches up when the network returns.
 */
export class SyncPart implements Part {
  readonly name = 'sync';
  private link: MqttLink | undefined;
  private outbox: Outbox | undefined;
  private sender: RecordSender | undefined;
  private uploader: FileUploader | undefined;
  private responses: FileResponseWaiter | undefined;
  private commands: CommandHandler | undefined;
  private disk: DiskPolicy | undefined;
  private rollout: ModelRollout | undefined;
  private busTelemetry: BusTelemetry | undefined;
  private window: UploadWindow | undefined;
  private telemetryTask: ScheduledTask | undefined;
  private timer: NodeJS.Timeout | undefined;
  private startedAtMs = 0;
  private lastDiskCheckMs = 0;
  private checkSynced = true;
  private commandChain: Promise<void> = Promise.resolve();
  private state: 'disabled' | 'connecting' | 'connected' | 'stopped' = 'stopped';
  private topics: ReturnType<typeof deviceTopics> | undefined;

  constructor(private readonly deps: SyncPartDeps) {}

  async start(): Promise<void> {
    const { config, log } = this.deps;
    const c = config.sync;
    if (!c.enabled) {
      this.state = 'disabled';
      log.info('sync disabled (sync.enabled = false)');
      return;
    }
    const db = this.deps.store().db;
    this.startedAtMs = Date.now();
    const topics = deviceTopics({ site: config.device.site, device: config.device.id }, c.file_protocol);
    this.topics = topics;
    const clientId = c.client_id ?? defaultClientId({ site: config.device.site, device: config.device.id });
    this.outbox = new Outbox(db);
    const resent = this.outbox.makeUnackedDue(Date.now());
    if (resent > 0) log.info({ items: resent }, 'unacknowledged items from before the restart are due again');

    this.link = new MqttLink(
      {
        url: c.broker_url,
        clientId,
        caFile: c.ca_file,
        certFile: c.cert_file,
        key: c.key,
        username: c.username,
        password: c.password,
        keepaliveS: c.keepalive_s,
        connectTimeoutMs: c.connect_timeout_ms,
        reconnectMinMs: c.reconnect_min_ms,
        reconnectMaxMs: c.reconnect_max_ms,
        sessionExpiryS: c.session_expiry_s,
        will: { topic: topics.status, payload: this.statusPayload('offline'), retain: true },
        subscriptions: [topics.ack, topics.command, fileResponseTopic(clientId), `${topics.base}/dl/#`],
      },
      log.child({ module: 'sync.mqtt' }),
    );
    this.sender = new RecordSender(
      this.outbox,
      this.link,
      topics.base,
      {
        inflightMax: c.inflight_max,
        ackTimeoutMs: c.ack_timeout_ms,
        retryMinMs: c.retry_min_ms,
        retryMaxMs: c.retry_max_ms,
      },
      log,
    );
    this.responses = new FileResponseWaiter(c.file_response_timeout_ms);
    this.window = new UploadWindow(c.upload_windows);
    this.window.start();
    this.uploader = new FileUploader(
      db,
      this.outbox,
      this.link,
      this.responses,
      topics.fileRoot,
      this.window,
      new RateLimiter(c.upload_rate_bytes_per_s),
      {
        recordingsDir: join(config.storage.data_dir, 'recordings'),
        chunkBytes: c.file_chunk_bytes,
        chunkWindow: c.file_chunk_window,
        retryMinMs: c.retry_min_ms,
        retryMaxMs: c.retry_max_ms,
      },
      log.child({ module: 'sync.files' }),
    );
    const activate = this.deps.activateModel;
    if (activate) {
      this.rollout = new ModelRollout(
        this.link,
        topics.base,
        activate,
        {
          dataDir: config.storage.data_dir,
          chunkBytes: c.file_chunk_bytes,
          timeoutMs: c.file_response_timeout_ms,
          attempts: c.model_download_attempts,
        },
        log.child({ module: 'sync.model' }),
      );
    }
    const rollout = this.rollout;
    this.commands = new CommandHandler(
      db,
      this.outbox,
      {
        configSet: configSetAction(config.storage.data_dir),
        modelRollout: rollout ? (p) => rollout.run(p) : undefined,
        ...this.deps.actions,
      },
      {
        device: { site: config.device.site, device: config.device.id },
        publicKeys: c.command_public_keys,
        maxAgeS: c.command_max_age_s,
      },
      log.child({ module: 'sync.commands' }),
    );
    this.commands.loadKeys();
    this.disk = new DiskPolicy(
      this.outbox,
      { dataDir: config.storage.data_dir, minFreeMb: c.disk_min_free_mb, maxAgeH: c.outbox_max_age_h },
      log.child({ module: 'sync.disk' }),
      () => (this.uploader?.busySeq === undefined ? [] : [this.uploader.busySeq]),
    );

    this.link.on('up', () => {
      this.state = 'connected';
      this.sender?.reset();
      void this.link
        ?.publish(topics.status, this.statusPayload('online'), { qos: 1, retain: true })
        .catch(() => undefined);
      this.tick();
    });
    this.link.on('down', (reason) => {
      this.state = 'connecting';
      this.responses?.failAll(`connection lost: ${reason}`);
      log.warn({ reason }, 'broker connection lost; the outbox keeps everything');
    });
    this.link.on('message', (topic, payload) => this.onMessage(topic, payload, clientId));

    if (!cron.validate(c.telemetry_cron))
      throw new Error(`sync.telemetry_cron: "${c.telemetry_cron}" is not a valid cron expression`);
    this.telemetryTask = cron.schedule(c.telemetry_cron, () => this.publishTelemetry(), {
      name: 'sync-telemetry',
      noOverlap: true,
    });

    if (this.deps.bus) {
      this.busTelemetry = new BusTelemetry(this.deps.bus);
      this.busTelemetry.start();
    }
    this.state = 'connecting';
    this.link.start();
    this.timer = setInterval(() => this.tick(), c.poll_interval_ms);
  }

  /** One round: send due records, start a due upload, mark synced cases, apply the disk policy. */
  private tick(): void {
    try {
      this.sender?.pump();
      void this.uploader?.tick()?.then(() => {
        this.checkSynced = true;
        this.tick();
      });
      const nowMs = Date.now();
      // A case can only become synced when something was acknowledged or dropped.
      if (this.checkSynced) {
        this.checkSynced = false;
        const synced = this.outbox?.markSyncedCases(nowMs) ?? [];
        for (const caseId of synced) this.deps.log.info({ caseId }, 'case fully synced to headquarters');
      }
      if (nowMs - this.lastDiskCheckMs >= this.deps.config.sync.disk_check_interval_s * 1000) {
        this.lastDiskCheckMs = nowMs;
        void this.disk
          ?.check()
          .catch((err: Error) => this.deps.log.error({ err: err.message }, 'disk policy check failed'));
        const days = this.deps.config.sync.acked_retention_days;
        if (days > 0) this.outbox?.pruneAcked(nowMs - days * 86_400_000);
      }
    } catch (err) {
      this.deps.log.error({ err }, 'sync tick failed');
    }
  }

  private onMessage(topic: string, payload: Buffer, clientId: string): void {
    const topics = this.topics!;
    if (topic === topics.ack) {
      const msg = parseJson(payload);
      if (!isAckMessage(msg)) {
        this.outbox?.bumpCounter('malformed:ack');
        this.deps.log.warn(
          { topic, problem: isAckMessage.error() || 'not JSON' },
          'malformed acknowledgement ignored',
        );
        return;
      }
      this.sender?.onAck(msg.ids);
      this.checkSynced = true;
      this.sender?.pump();
    } else if (topic === topics.command) {
      // One command at a time, in arrival order (a rollout may take minutes; a replay that
      // arrives meanwhile must see the first one recorded).
      const commands = this.commands;
      this.commandChain = this.commandChain
        .then(() => commands?.handle(payload))
        .then(
          () => undefined,
          (err: Error) => this.deps.log.error({ err: err.message }, 'command handling failed'),
        );
    } else if (topic.startsWith(`${topics.base}/dl/`)) {
      this.rollout?.onDownloadMessage(topic, payload);
    } else if (topic === fileResponseTopic(clientId)) {
      if (!this.responses?.onResponse(payload)) {
        this.outbox?.bumpCounter('malformed:file_response');
        this.deps.log.warn({ topic }, 'malformed file-transfer response ignored');
      }
    }
  }

  private publishTelemetry(): void {
    if (!this.link?.connected || !this.outbox) return;
    const outbox = this.outbox;
    void collectTelemetry(
      {
        startedAtMs: this.startedAtMs,
        dataDir: this.deps.config.storage.data_dir,
        outbox: () => outbox.stats(),
        inFlight: () => this.sender?.inFlight ?? 0,
        link: () => ({ connected: this.link?.connected ?? false, reconnects: this.link?.reconnects ?? 0 }),
        upload: () => this.uploader?.current,
        counters: () => outbox.counters(),
      },
      this.deps.telemetry ?? this.busTelemetry ?? {},
    )
      .then((t) => this.link?.publish(this.topics!.telemetry, JSON.stringify(t), { qos: 0 }))
      .catch((err: Error) => this.deps.log.debug({ err: err.message }, 'telemetry not sent'));
  }

  private statusPayload(state: 'online' | 'offline'): Buffer {
    const msg: StatusMessage = {
      v: 1,
      state,
      atMs: Date.now(),
      versions: { orsight: ORSIGHT_VERSION, node: process.versions.node },
      model: this.deps.modelVersion?.() ?? null,
      startedAtMs: this.startedAtMs,
      uptimeS: Math.round((Date.now() - this.startedAtMs) / 1000),
    };
    return Buffer.from(JSON.stringify(msg));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.telemetryTask?.destroy();
    this.busTelemetry?.stop();
    this.busTelemetry = undefined;
    this.telemetryTask = undefined;
    this.window?.stop();
    this.responses?.failAll('stopping');
    if (this.link && this.topics) {
      await this.link.stop({
        topic: this.topics.status,
        payload: this.statusPayload('offline'),
        retain: true,
      });
    }
    this.link = undefined;
    if (this.state !== 'disabled') this.state = 'stopped';
  }

  /** Link state for `GET /api/sync/status` (the outbox figures come from the database). */
  linkState(): SyncLinkState {
    return {
      state: this.state,
      inFlight: this.sender?.inFlight ?? 0,
      uploading: this.uploader?.current ?? null,
    };
  }

  health(): PartHealth {
    if (this.state === 'disabled') return { ok: true, state: 'disabled' };
    const stats = this.outbox?.stats();
    return {
      ok: this.state !== 'stopped',
      state: this.state,
      detail: {
        pending: stats?.pending ?? 0,
        inFlight: this.sender?.inFlight ?? 0,
        oldestPendingAtMs: stats?.oldestPendingAtMs ?? null,
        lastAckAtMs: stats?.lastAckAtMs ?? null,
        dropped: stats?.dropped ?? {},
        uploading: this.uploader?.current ?? null,
      },
    };
  }
}
