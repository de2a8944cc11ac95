import { Command } from 'commander';
import { registerConfigCommands } from './cli/config-commands.js';
import { registerDbCommands } from './cli/db-commands.js';
import { registerDoctorCommand } from './cli/doctor-command.js';
import { registerReplayCommand } from './cli/replay-command.js';
import { registerSimCommands } from './cli/sim-commands.js';
import { registerSyncCommands } from './cli/sync-commands.js';
import { registerUserCommands } from './cli/user-commands.js';

/**
 * `orsight`, the admin CLI. Each command group lives in daemon/cli/ and registers itself
 * here. Exit codes: 0 ok, 1 failure, 2 bad input (config or arguments).
 */
export function buildCli(): Command {
  const program = new Command('orsight')
    .description('orsight operating-room appliance: administration and diagnostics')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) })
    .exitOverride((err) => {
      process.exit(err.exitCode === 1 && err.code !== 'commander.help' ? 2 : err.exitCode);
    });
  registerConfigCommands(program);
  registerDbCommands(program);
  registerDoctorCommand(program);
  registerSyncCommands(program);
  registerUserCommands(program);
  registerSimCommands(program);
  registerReplayCommand(program);
  program.addHelpText('after', `\nAll commands:\n${listCommands(program).join('\n')}`);
  return program;
}

function listCommands(cmd: Command, prefix = ''): string[] {
  return cmd.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    if (c.commands.length > 0) return listCommands(c, `${name} `);
    const args = c.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)).join(' ');
    return [`  ${`${name} ${args}`.padEnd(34)} ${c.description()}`];
  });
}

await buildCli().parseAsync(process.argv);
