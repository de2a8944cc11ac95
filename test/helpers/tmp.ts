import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Clean-ups for the test file, run after it in reverse order. Vitest runs an afterAll hook
 * only when it is registered while the file is collected; one registered inside beforeAll or
 * a test is silently ignored, so helpers (called from both) register here instead. This
 * module is evaluated, and its hook registered, once per test file (isolated workers).
 */
const cleanups: Array<() => unknown> = [];
// Benchmarks import these helpers outside vitest; they clean up after themselves.
if (process.env.VITEST) {
  afterAll(async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`test clean-up failed: ${(err as Error).message}\n`);
      }
    }
  });
}

/** Runs fn after the test file (wherever this is called: collection, hooks or tests). */
export function afterFile(fn: () => unknown): void {
  cleanups.push(fn);
}

/** A fresh temporary directory, removed after the test file. */
export function tempDir(prefix = 'orsight-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterFile(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
