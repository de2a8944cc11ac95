import type { Command } from 'commander';
import { runDoctor } from '../doctor.js';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check this box: runtime, GStreamer plugins, broker, browser, data directory')
    .option('-c, --config <file>', 'config file')
    .option('--json', 'machine-readable output')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const report = await runDoctor({ configFile: opts.config });
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        for (const c of report.checks) {
          process.stdout.write(
            `${c.ok ? 'ok  ' : c.required ? 'FAIL' : 'warn'}  ${c.name}: ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}\n`,
          );
        }
      }
      process.exit(report.ok ? 0 : 1);
    });
}
