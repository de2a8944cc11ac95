// Worker bootstrap: Node 20 workers do not inherit the parent's TypeScript loader, so the
// worker registers tsx itself before importing the TypeScript worker module.
import { register } from 'tsx/esm/api';

register();
await import('./inference-worker.ts');
