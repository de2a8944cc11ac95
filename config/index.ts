export { ConfigError, type ConfigIssue, formatIssue } from './errors.js';
export { exampleYaml } from './example.js';
export { envName, type LoadOptions, loadConfig, redact } from './load.js';
export { type Config, configSchema } from './schema.js';
export type { SourceConfig } from './types.js';
