import type { KeyObject } from 'node:crypto';
import type { Logger } from '../daemon/log.js';
import type { Db } from '../daemon/store/index.js';
import { type Command, type CommandResult, isCommand, parseJson } from './messages.js';
import type { Outbox } from './outbox.js';
import { parsePublicKey, verifyCommand } from './signing.js';
import type { DeviceId } from './topics.js';

export type CommandOutcome = { ok: true; message: string } | { ok: false; code: string; message: string };

/** What a command does on this box; the daemon wires the parts that can carry them out. */
export interface CommandActions {
  /** Validate and persist a partial configuration; applied at the next restart. */
  configSet(changes: Record<string, unknown>): Promise<CommandOutcome>;
  /** Fetch, verify, activate a model package; roll back on failure. */
  modelRollout?(params: Extract<Command, { type: 'model_rollout' }>['params']): Promise<CommandOutcome>;
}

export interface CommandHandlerOptions {
  device: DeviceId;
  publicKeys: ReadonlyArray<{ id: string; public_key: string }>;
  maxAgeS: number;
}

/**
 * Verifies and runs commands from headquarters. A command must be valid JSON, match the
 * schema, name this device, be signed by a configured ed25519 key, be recent, and not be a
 * replay; anything else is rejected, counted and logged, and never crashes the daemon.
 */
export class CommandHandler {
  private keys = new Map<string, KeyObject>();

  constructor(
    private readonly db: Db,
    private readonly outbox: Outbox,
    private readonly actions: CommandActions,
    private readonly options: CommandHandlerOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Parses the configured keys; a bad key is logged and skipped (commands signed by it fail). */
  loadKeys(): void {
    this.keys = new Map();
    for (const k of this.options.publicKeys) {
      try {
        this.keys.set(k.id, parsePublicKey(k.public_key));
      } catch (err) {
        this.log.error(
          { keyId: k.id, err: (err as Error).message },
          'sync.command_public_keys: unusable key',
        );
      }
    }
  }

  async handle(payload: Buffer): Promise<CommandResult> {
    const raw = parseJson(payload);
    const id =
      typeof (raw as { id?: unknown })?.id === 'string'
        ? (raw as { id: string }).id.slice(0, 100)
        : undefined;
    const verdict = this.check(raw);
    if (!verdict.ok) return this.finish(id, 'unknown', 'rejected', verdict.code, verdict.message);
    const cmd = verdict.command;
    let outcome: CommandOutcome;
    try {
      outcome = await this.run(cmd);
    } catch (err) {
      outcome = { ok: false, code: 'COMMAND_FAILED', message: (err as Error).message };
    }
    return outcome.ok
      ? this.finish(cmd.id, cmd.type, 'applied', 'OK', outcome.message)
      : this.finish(cmd.id, cmd.type, 'failed', outcome.code, outcome.message);
  }

  private check(raw: unknown): { ok: true; command: Command } | { ok: false; code: string; message: string } {
    if (raw === undefined) return { ok: false, code: 'COMMAND_MALFORMED', message: 'payload is not JSON' };
    if (typeof raw === 'object' && raw !== null && !('sig' in raw)) {
      return { ok: false, code: 'COMMAND_UNSIGNED', message: 'command has no signature' };
    }
    if (!isCommand(raw))
      return { ok: false, code: 'COMMAND_INVALID', message: `schema: ${isCommand.error()}` };
    const key = this.keys.get(raw.keyId);
    if (!key)
      return {
        ok: false,
        code: 'COMMAND_UNKNOWN_KEY',
        message: `key "${raw.keyId}" is not in sync.command_public_keys`,
      };
    if (!verifyCommand(raw as unknown as Record<string, unknown> & { sig: string }, key)) {
      return { ok: false, code: 'COMMAND_BAD_SIGNATURE', message: 'signature does not verify' };
    }
    if (raw.target.site !== this.options.device.site || raw.target.device !== this.options.device.device) {
      return { ok: false, code: 'COMMAND_WRONG_DEVICE', message: 'command is for another device' };
    }
    const ageMs = this.now() - raw.issuedAtMs;
    if (ageMs > this.options.maxAgeS * 1000 || ageMs < -300_000) {
      return {
        ok: false,
        code: 'COMMAND_STALE',
        message: `issued ${Math.round(ageMs / 1000)} s ago (limit ${this.options.maxAgeS} s)`,
      };
    }
    if (this.db.prepare('SELECT 1 FROM sync_commands WHERE id = ?').get(raw.id)) {
      return { ok: false, code: 'COMMAND_REPLAY', message: 'command id was already received' };
    }
    return { ok: true, command: raw };
  }

  private async run(cmd: Command): Promise<CommandOutcome> {
    switch (cmd.type) {
      case 'resync_case': {
        const n = this.outbox.resyncCase(cmd.params.caseId);
        return n > 0
          ? { ok: true, message: `${n} items of the case will be sent again` }
          : { ok: false, code: 'CASE_UNKNOWN', message: 'no outbox items for this case' };
      }
      case 'config_set':
        return this.actions.configSet(cmd.params.changes);
      case 'model_rollout':
        return this.actions.modelRollout
          ? this.actions.modelRollout(cmd.params)
          : {
              ok: false,
              code: 'MODEL_ROLLOUT_UNAVAILABLE',
              message: 'this daemon has no model rollout wired',
            };
    }
  }

  private finish(
    id: string | undefined,
    type: string,
    status: CommandResult['status'],
    code: string,
    message: string,
  ): CommandResult {
    const nowMs = this.now();
    const result: CommandResult = { v: 1, commandId: id ?? '', status, code, message, atMs: nowMs };
    const logFn = status === 'applied' ? this.log.info.bind(this.log) : this.log.warn.bind(this.log);
    logFn(
      { commandId: id, type, status, code, reason: message },
      status === 'rejected' ? 'command rejected' : `command ${status}`,
    );
    this.db.transaction(() => {
      if (status === 'rejected') this.outbox.bumpCounter(`commands_rejected:${code}`);
      // Record only verified commands by id, so a forged id cannot block the real one.
      if (status !== 'rejected' && id) {
        this.db
          .prepare(
            'INSERT OR IGNORE INTO sync_commands (id, type, received_at, status, detail) VALUES (?, ?, ?, ?, ?)',
          )
          .run(id, type, nowMs, status, JSON.stringify({ code, message }));
      }
      this.outbox.enqueue({
        id: `cmdres:${id ?? 'none'}:${nowMs}:${Math.random().toString(36).slice(2, 8)}`,
        topic: 'rec/command_result',
        caseId: null,
        payload: Buffer.from(JSON.stringify(result)),
        nowMs,
      });
    })();
    return result;
  }
}
