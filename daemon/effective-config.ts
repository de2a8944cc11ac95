import { type Config, type LoadOptions, loadConfig } from '../config/index.js';
import { mergeConfig, readRemoteConfig } from '../sync/index.js';

/**
 * The configuration the daemon runs with: the file, then ORSIGHT_* environment, then what
 * headquarters set remotely (<data_dir>/remote-config.json, validated before it was
 * written), then the caller's overrides (demo mode). Throws ConfigError like loadConfig.
 */
export function loadEffectiveConfig(options: LoadOptions): Readonly<Config> {
  const local = loadConfig(options);
  const remote = readRemoteConfig(local.storage.data_dir);
  if (Object.keys(remote).length === 0) return local;
  return loadConfig({ ...options, overrides: mergeConfig(remote, options.overrides ?? {}) });
}
