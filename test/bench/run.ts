/**
 * Benchmark dispatcher: `npm run --silent bench -- <name> [--json] [args]` runs
 * test/bench/<name>.ts, whose `run(args)` returns one JSON-serialisable object of figures.
 * Benchmarks measure a baseline in the same run and report ratios against it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.includes('.'.repeat(2)))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((f) => !f.includes('.'));

if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run --silent bench -- <${available.join('|')}> [--json]\n`);
  process.exit(2);
}
const file = join(here, `${name}.ts`);
if (!existsSync(file)) process.exit(2);
const mod = (await import(pathToFileURL(file).href)) as { run(args: string[]): Promise<unknown> };
const result = await mod.run(rest);
if (rest.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
