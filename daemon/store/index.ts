export { LATEST_VERSION, type Migration, migrations } from './migrations.js';
export { type Db, RECOVERY_HINT, Store, StoreError, type StoreOptions } from './store.js';
export { StorePart } from './store-part.js';
export { WriteBatcher } from './write-batcher.js';
