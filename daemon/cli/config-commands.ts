import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { ConfigError, exampleYaml, loadConfig, redact } from '../../config/index.js';
import { loadEffectiveConfig } from '../effective-config.js';
import { ROOT } from '../paths.js';

export const EXAMPLE_PATH = join(ROOT, 'config', 'orsight.example.yaml');

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('check, print and document the configuration');

  config
    .command('check')
    .description('validate a config file (and ORSIGHT_* env) without starting')
    .argument('<file>', 'YAML config file')
    .action((file: string) => {
      withConfigErrors(file, () => {
        loadConfig({ file, env: process.env });
        process.stdout.write(`${file}: ok\n`);
      });
    });

  config
    .command('print')
    .description('print the effective config (file + env + remote + defaults), secrets redacted')
    .argument('[file]', 'YAML config file; defaults only when omitted')
    .action((file: string | undefined) => {
      withConfigErrors(file, () => {
        process.stdout.write(stringify(redact(loadEffectiveConfig({ file, env: process.env }))));
      });
    });

  config
    .command('example')
    .description('print config/orsight.example.yaml from the schema (--write updates the file)')
    .option('--write', 'write the file instead of printing it')
    .option('--check', 'exit 1 when the committed file is stale')
    .action((opts: { write?: boolean; check?: boolean }) => {
      const text = exampleYaml();
      if (opts.write) writeFileSync(EXAMPLE_PATH, text);
      else if (opts.check) {
        const current = readFileSync(EXAMPLE_PATH, 'utf8');
        if (current !== text) {
          process.stderr.write(`${EXAMPLE_PATH} is stale: run \`orsight config example --write\`\n`);
          process.exit(1);
        }
      } else process.stdout.write(text);
    });
}

function withConfigErrors(file: string | undefined, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${file ?? '(defaults)'}: invalid configuration:\n${err.message}\n`);
    process.exit(2);
  }
}
