/** Prints "N passed, N failed[, N skipped]" from vitest's JSON report (for CI). */
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/report.json';
let report: {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numTotalTestSuites: number;
  testResults: Array<{
    status: string;
    message?: string;
    name: string;
    assertionResults: Array<{ status: string }>;
  }>;
};
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  process.stdout.write(`0 passed, 1 failed\n`);
  process.stderr.write(`no test report at ${file}: ${(err as Error).message}\n`);
  process.exit(1);
}
// A test file that fails to load, or whose beforeAll/afterAll hook fails, has no failed test
// of its own (its tests are missing or reported skipped): count the file as one failure.
const brokenFiles = report.testResults.filter(
  (r) => r.status === 'failed' && !r.assertionResults.some((a) => a.status === 'failed'),
).length;
const failed = report.numFailedTests + brokenFiles;
const skipped = report.numPendingTests + report.numTodoTests;
process.stdout.write(
  `${report.numPassedTests} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`,
);
process.exit(failed > 0 ? 1 : 0);
