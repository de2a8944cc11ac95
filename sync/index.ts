export type { CommandActions, CommandOutcome } from './commands.js';
export { type ModelBundle, packModelBundle } from './model-bundle.js';
export type { ActivateModel } from './model-rollout.js';
export { Outbox, type OutboxStats, outboxStats } from './outbox.js';
export { mergeConfig, REMOTE_CONFIG_FILE, readRemoteConfig } from './remote-config.js';
export { canonicalJson, signCommand, verifyCommand } from './signing.js';
export { SyncPart, type SyncPartDeps } from './sync-part.js';
export type { TelemetrySources } from './telemetry.js';
export { deviceTopics, fileResponseTopic, TOPIC_ROOT } from './topics.js';
