import { defineConfig } from 'vitest/config';

// Two cores: two test files at a time. Tests use real GStreamer, SQLite, mosquitto and
// Chromium, so timeouts are generous; a slow box fails by timeout, never by a wrong answer.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/report.json' },
  },
});
