import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { type Config, ConfigError, loadConfig } from '../../config/index.js';
import { AccountError, Accounts, ROLES, type Role } from '../../ui/auth/index.js';
import { AuditLog } from '../cases/audit-log.js';
import { Store } from '../store/index.js';
import { DB_FILE } from '../store/store-part.js';

interface Opts {
  config?: string;
}

function open(opts: Opts): { config: Readonly<Config>; store: Store; accounts: Accounts; audit: AuditLog } {
  let config: Readonly<Config>;
  try {
    config = loadConfig({ file: opts.config, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) fail(`invalid configuration:\n${err.message}`, 2);
    throw err;
  }
  // The daemon is the usual writer; these rare admin writes wait for it through the busy timeout.
  const store = Store.open({
    file: join(config.storage.data_dir, DB_FILE),
    busyTimeoutMs: config.storage.busy_timeout_ms,
    synchronous: config.storage.synchronous,
    integrityCheck: 'off',
  });
  const accounts = new Accounts(store, {
    scryptCost: config.auth.scrypt_cost,
    passwordMinChars: config.auth.password_min_chars,
    sessionTtlMs: config.auth.session_ttl_h * 3_600_000,
  });
  return { config, store, accounts, audit: new AuditLog(store) };
}

function fail(message: string, code = 1): never {
  process.stderr.write(`orsight: ${message}\n`);
  process.exit(code);
}

/** Reads the password from stdin when piped; asks twice without echo on a terminal. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let data = '';
    for await (const chunk of process.stdin) data += String(chunk);
    return data.split(/\r?\n/)[0] ?? '';
  }
  const ask = (prompt: string) =>
    new Promise<string>((resolve) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
      const out = rl as unknown as { _writeToOutput: (s: string) => void };
      out._writeToOutput = (s: string) => {
        if (s.startsWith(prompt)) process.stdout.write(prompt);
      };
      rl.question(prompt, (answer) => {
        rl.close();
        process.stdout.write('\n');
        resolve(answer);
      });
    });
  const first = await ask('Password: ');
  const second = await ask('Repeat password: ');
  if (first !== second) fail('the passwords differ');
  return first;
}

function parseRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) fail(`role must be one of ${ROLES.join(', ')}`, 2);
  return role as Role;
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('local user accounts (roles: display, clinician, admin)');
  user
    .command('add')
    .description('create a user; the password is read from stdin (or asked twice on a terminal)')
    .argument('<username>', 'user name')
    .option('-r, --role <role>', 'display | clinician | admin', 'clinician')
    .option('-c, --config <file>', 'config file')
    .action(async (username: string, opts: Opts & { role: string }) => {
      const role = parseRole(opts.role);
      const { store, accounts, audit } = open(opts);
      try {
        const password = await readPassword();
        const u = await accounts.createUser(username, password, role);
        audit.append({ actor: 'cli', action: 'user.create', target: u.id, detail: { role } });
        process.stdout.write(`created ${u.role} ${u.username} (${u.id})\n`);
      } catch (err) {
        if (err instanceof AccountError) fail(`${err.code}: ${err.message}`);
        throw err;
      } finally {
        store.close();
      }
    });
  user
    .command('list')
    .description('list users')
    .option('--json', 'one JSON array')
    .option('-c, --config <file>', 'config file')
    .action((opts: Opts & { json?: boolean }) => {
      const { store, accounts } = open(opts);
      const users = accounts.listUsers();
      store.close();
      if (opts.json) return void process.stdout.write(`${JSON.stringify(users)}\n`);
      for (const u of users) {
        process.stdout.write(
          `${u.username.padEnd(24)} ${u.role.padEnd(10)} ${u.disabled ? 'disabled' : 'active  '} ${u.id}\n`,
        );
      }
    });
  user
    .command('disable')
    .description('disable a user and end their sessions')
    .argument('<username>', 'user name')
    .option('-c, --config <file>', 'config file')
    .action(async (username: string, opts: Opts) => {
      const { store, accounts, audit } = open(opts);
      try {
        const u = accounts.findUser(username);
        if (!u) fail(`USER_NOT_FOUND: no user "${username}"`);
        await accounts.updateUser(u.id, { disabled: true });
        audit.append({ actor: 'cli', action: 'user.update', target: u.id, detail: { fields: ['disabled'] } });
        process.stdout.write(`disabled ${username}\n`);
      } catch (err) {
        if (err instanceof AccountError) fail(`${err.code}: ${err.message}`);
        throw err;
      } finally {
        store.close();
      }
    });

  const display = program
    .command('display')
    .description('wall displays paired with long-lived, revocable tokens');
  display
    .command('pair')
    .description('pair a display: prints its token once (open /display#token=<token> on the screen)')
    .argument('<name>', 'display name, e.g. or-1-wall')
    .option('-c, --config <file>', 'config file')
    .action((name: string, opts: Opts) => {
      const { store, accounts, audit } = open(opts);
      const r = accounts.pairDisplay(name, 'cli');
      audit.append({ actor: 'cli', action: 'display.pair', target: r.display.id });
      store.close();
      process.stdout.write(`paired display ${r.display.name} (${r.display.id})\ntoken: ${r.token}\n`);
    });
  display
    .command('list')
    .description('list paired displays')
    .option('-c, --config <file>', 'config file')
    .action((opts: Opts) => {
      const { store, accounts } = open(opts);
      for (const d of accounts.listDisplays()) {
        process.stdout.write(`${d.name.padEnd(24)} ${d.revoked ? 'revoked' : 'active '} ${d.id}\n`);
      }
      store.close();
    });
  display
    .command('revoke')
    .description('revoke a display token (by id or name)')
    .argument('<display>', 'display id or name')
    .option('-c, --config <file>', 'config file')
    .action((which: string, opts: Opts) => {
      const { store, accounts, audit } = open(opts);
      const matches = accounts.listDisplays().filter((d) => d.id === which || d.name === which);
      if (matches.length === 0) fail(`DISPLAY_NOT_FOUND: no display "${which}"`);
      for (const d of matches) {
        accounts.revokeDisplay(d.id);
        audit.append({ actor: 'cli', action: 'display.revoke', target: d.id });
        process.stdout.write(`revoked ${d.name} (${d.id})\n`);
      }
      store.close();
    });

  program
    .command('audit')
    .description('show the audit log, newest first')
    .option('-n, --limit <n>', 'entries', '50')
    .option('--action <action>', 'only this action, e.g. media.view')
    .option('--actor <actor>', 'only this actor (user id, display:<id>, system, cli)')
    .option('--target <target>', 'only this target (e.g. a case id)')
    .option('--json', 'one JSON object per line')
    .option('-c, --config <file>', 'config file')
    .action(
      (opts: Opts & { limit: string; action?: string; actor?: string; target?: string; json?: boolean }) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100000)
          fail('--limit must be a whole number from 1 to 100000', 2);
        const { store, audit } = open(opts);
        const rows = audit.query({ limit, action: opts.action, actor: opts.actor, target: opts.target });
        store.close();
        for (const r of rows) {
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(r)}\n`
              : `${new Date(r.atMs).toISOString()} ${r.actor.padEnd(38)} ${r.action.padEnd(18)} ${r.target ?? '-'}${r.detail ? ` ${JSON.stringify(r.detail)}` : ''}\n`,
          );
        }
      },
    );
}
