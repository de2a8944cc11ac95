export { CentralStore } from './central-store.js';
export { FileStore } from './file-store.js';
export { caseCompleteness, fleetView } from './fleet.js';
export { Ingest, ingestSubscriptions } from './ingest.js';
