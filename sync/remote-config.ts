import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config/index.js';
import type { CommandOutcome } from './commands.js';

export const REMOTE_CONFIG_FILE = 'remote-config.json';

/** Deep-merges b into a (objects only; arrays and scalars replace). */
export function mergeConfig(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      prev &&
      typeof prev === 'object' &&
      !Array.isArray(prev)
        ? mergeConfig(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** The overrides headquarters set so far (empty when none). */
export function readRemoteConfig(dataDir: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(join(dataDir, REMOTE_CONFIG_FILE), 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * config_set: merges the changes over earlier remote overrides, validates the result against
 * the schema, and writes it atomically (fsync, rename). The daemon applies
 * `<data_dir>/remote-config.json` as overrides at its next start.
 */
export function configSetAction(dataDir: string) {
  return async (changes: Record<string, unknown>): Promise<CommandOutcome> => {
    const merged = mergeConfig(readRemoteConfig(dataDir), changes);
    if (
      'sync' in changes &&
      typeof changes.sync === 'object' &&
      changes.sync &&
      'command_public_keys' in changes.sync
    ) {
      return { ok: false, code: 'CONFIG_FORBIDDEN', message: 'command keys cannot be changed remotely' };
    }
    try {
      loadConfig({ overrides: merged });
    } catch (err) {
      if (err instanceof ConfigError) return { ok: false, code: 'CONFIG_INVALID', message: err.message };
      throw err;
    }
    const file = join(dataDir, REMOTE_CONFIG_FILE);
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(merged, null, 2));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    return { ok: true, message: 'stored; applied at the next restart' };
  };
}
