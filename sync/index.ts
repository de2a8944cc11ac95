export type { CommandActions, CommandOutcome } from './commands.js';
export { Outbox, type OutboxStats, outboxStats } from './outbox.js';
export { REMOTE_CONFIG_FILE, readRemoteConfig } from './remote-config.js';
export { canonicalJson, signCommand, verifyCommand } from './signing.js';
export { SyncPart, type SyncPartDeps } from './sync-part.js';
export type { TelemetrySources } from './telemetry.js';
export { deviceTopics, fileResponseTopic, TOPIC_ROOT } from './topics.js';
