import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, exampleYaml, loadConfig, redact } from '../../config/index.js';
import { ROOT, runCli } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const EXAMPLE = join(ROOT, 'config', 'orsight.example.yaml');

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('orsight config check', () => {
  it('accepts the example config', () => {
    const r = runCli(['config', 'check', EXAMPLE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it.each([
    ['wrong type', 'http:\n  port: "eighty"\n', 'http.port (line 2): must be integer'],
    ['unknown key', 'http:\n  port: 8080\n  prot: 1\n', 'http.prot (line 3): unknown key'],
    [
      'missing required key',
      'capture:\n  sources:\n    - kind: sim\n',
      'capture.sources.0.name (line 3): is required',
    ],
    [
      'out-of-range number',
      'storage:\n  busy_timeout_ms: -5\n',
      'storage.busy_timeout_ms (line 2): must be >= 0',
    ],
    ['bad enum', 'log:\n  level: loud\n', 'log.level (line 2): must be one of "trace", "debug"'],
    ['invalid YAML', 'http:\n  port: [1, 2\n', '(yaml) (line 3): syntax error'],
    ['unknown section', 'htp:\n  port: 1\n', 'htp (line 1): unknown key'],
  ])('rejects %s with exit 2 and the path', (_name, yaml, message) => {
    const file = write(`bad-${_name.replace(/\W/g, '-')}.yaml`, yaml);
    const r = runCli(['config', 'check', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('reports every problem at once, not just the first', () => {
    const file = write('many.yaml', 'http:\n  port: 70000\nlog:\n  level: loud\n');
    const r = runCli(['config', 'check', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('http.port (line 2): must be <= 65535');
    expect(r.stderr).toContain('log.level (line 4)');
  });

  it('names a missing file', () => {
    const r = runCli(['config', 'check', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.yaml: cannot read config file \(ENOENT\)/);
  });
});

describe('config loading', () => {
  it('fills defaults for everything left out', () => {
    const cfg = loadConfig({});
    expect(cfg.http.port).toBe(8080);
    expect(cfg.storage.synchronous).toBe('FULL');
    expect(cfg.capture.sources).toEqual([]);
    expect(Object.isFrozen(cfg.http)).toBe(true);
  });

  it('derives environment overrides from the schema', () => {
    const cfg = loadConfig({
      env: {
        ORSIGHT_HTTP__PORT: '9000',
        ORSIGHT_STORAGE__DATA_DIR: '/srv/or',
        ORSIGHT_SYNC__ENABLED: 'true',
      },
    });
    expect(cfg.http.port).toBe(9000);
    expect(cfg.storage.data_dir).toBe('/srv/or');
    expect(cfg.sync.enabled).toBe(true);
  });

  it('rejects a bad environment value with the variable name', () => {
    expect(() => loadConfig({ env: { ORSIGHT_HTTP__PORT: 'x' } })).toThrowError(
      /ORSIGHT_HTTP__PORT: expected a number/,
    );
  });

  it('env wins over the file', () => {
    const file = write('port.yaml', 'http:\n  port: 8181\n');
    expect(loadConfig({ file, env: { ORSIGHT_HTTP__PORT: '9191' } }).http.port).toBe(9191);
    expect(loadConfig({ file }).http.port).toBe(8181);
  });

  it('reads secrets from files and redacts them when printed', () => {
    const secret = write('broker.pass', 's3cret-value\n');
    const file = write('secret.yaml', `sync:\n  password_file: ${secret}\n`);
    const cfg = loadConfig({ file });
    expect(cfg.sync.password).toBe('s3cret-value');
    expect(JSON.stringify(redact(cfg))).not.toContain('s3cret-value');
    const printed = runCli(['config', 'print', file]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('password: (redacted)');
    expect(printed.stdout).not.toContain('s3cret-value');
  });

  it('names an unreadable secret file', () => {
    const file = write('secret-missing.yaml', `sync:\n  password_file: ${join(dir, 'missing.pass')}\n`);
    try {
      loadConfig({ file });
      expect.unreachable('should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toMatch(
        /sync\.password_file: cannot read secret file .*missing\.pass \(ENOENT\)/,
      );
    }
  });

  it('config/orsight.example.yaml is generated from the current schema', () => {
    // If this fails: npm run --silent orsight -- config example --write
    expect(readFileSync(EXAMPLE, 'utf8')).toBe(exampleYaml());
  });
});

describe('remote configuration from headquarters', () => {
  it('is applied over the file and environment at start, and shown by config print', () => {
    const dataDir = join(dir, 'remote-data');
    mkdirSync(dataDir, { recursive: true });
    // What sync's config_set command writes after validating a signed change.
    writeFileSync(
      join(dataDir, 'remote-config.json'),
      JSON.stringify({ device: { room_name: 'OR 7 (remote)' } }),
    );
    const file = write('remote-base.yaml', 'device:\n  room_name: OR 7 (file)\n');
    const printed = runCli(['config', 'print', file], { ORSIGHT_STORAGE__DATA_DIR: dataDir });
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('room_name: OR 7 (remote)');
    expect(loadConfig({ file, env: { ORSIGHT_STORAGE__DATA_DIR: dataDir } }).device.room_name).toBe(
      'OR 7 (file)',
    );
  });
});
