import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { call, type Harness, startHarness } from './api-harness.js';

function cli(dataDir: string, args: string[], input = '') {
  const r = runCli(
    args,
    { ORSIGHT_STORAGE__DATA_DIR: dataDir, ORSIGHT_AUTH__SCRYPT_COST: '1024' },
    60_000,
    input,
  );
  return { code: r.code, out: r.stdout, err: r.stderr };
}

const login = (h: Harness, username: string, password: string, remoteAddress = '10.0.0.1') =>
  h.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });

describe('accounts from the CLI, no default password', () => {
  it('has no user until `orsight user add`; then that user signs in', async () => {
    const dir = tempDir();
    expect(cli(dir, ['user', 'list', '--json']).out.trim()).toBe('[]');
    expect(cli(dir, ['user', 'add', 'root', '--role', 'admin'], 'short\n')).toMatchObject({
      code: 1,
      err: expect.stringContaining('PASSWORD_TOO_SHORT'),
    });
    expect(cli(dir, ['user', 'add', 'root', '--role', 'wizard'], 'long-enough-password\n').code).toBe(2);
    const add = cli(dir, ['user', 'add', 'root', '--role', 'admin'], 'long-enough-password\n');
    expect(add.code, add.err).toBe(0);
    expect(cli(dir, ['user', 'add', 'ROOT'], 'long-enough-password\n').err).toContain('USER_EXISTS');
    const pair = cli(dir, ['display', 'pair', 'wall']);
    const token = /token: (osd_\S+)/.exec(pair.out)?.[1];
    expect(token).toBeDefined();

    const h = await startHarness(dir);
    try {
      for (const [u, p] of [
        ['admin', 'admin'],
        ['root', 'root'],
        ['admin', ''],
      ] as const) {
        expect((await login(h, u, p || 'x')).statusCode).toBe(401);
      }
      const ok = await login(h, 'root', 'long-enough-password');
      expect(ok.statusCode).toBe(200);
      expect(
        (await h.app.inject({ method: 'POST', url: '/api/auth/display', payload: { token } })).statusCode,
      ).toBe(200);
      const hash = (
        h.services.store.db.prepare("SELECT password_hash FROM users WHERE username = 'root'").get() as {
          password_hash: string;
        }
      ).password_hash;
      expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
      expect(hash).not.toContain('long-enough-password');
    } finally {
      await h.close();
    }

    expect(cli(dir, ['display', 'revoke', 'wall']).code).toBe(0);
    expect(cli(dir, ['user', 'disable', 'root']).code).toBe(0);
    expect(cli(dir, ['user', 'list']).out).toMatch(/root\s+admin\s+disabled/);
    const audit = cli(dir, ['audit', '--json', '--limit', '100'])
      .out.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string });
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'user.create',
        'display.pair',
        'display.revoke',
        'user.update',
        'login.ok',
        'login.fail',
      ]),
    );
  });
});

describe('sessions, cookies and the login rate limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(tempDir(), {
      overrides: { auth: { login_attempts_per_min: 3, scrypt_cost: 1024 } },
    });
  });
  afterAll(() => h?.close());

  it('sets an httpOnly SameSite=Strict cookie that authenticates, and logout revokes it', async () => {
    const res = await login(h, 'carol', 'carol-password-1');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^orsight_session=oss_[\w-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain('Secure');
    const value = cookie.split(';')[0]!;
    const me = await h.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: value } });
    expect(me.json()).toMatchObject({ user: { username: 'carol', role: 'clinician' } });
    expect(
      (await h.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: value } }))
        .statusCode,
    ).toBe(204);
    expect(
      (await h.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: value } })).statusCode,
    ).toBe(401);
  });

  it('refuses expired sessions and sessions of disabled users', async () => {
    const token = (await login(h, 'carol', 'carol-password-1')).json().token as string;
    expect((await call(h, { method: 'GET', url: '/api/cases' }, token)).statusCode).toBe(200);
    h.services.store.db.prepare('UPDATE sessions SET expires_at = 0 WHERE user_id = ?').run(h.ids.clinician);
    expect((await call(h, { method: 'GET', url: '/api/cases' }, token)).statusCode).toBe(401);

    const t2 = (await login(h, 'dora', 'dora-password-1')).json().token as string;
    const off = await call(
      h,
      { method: 'PATCH', url: `/api/users/${h.ids.displayUser}`, payload: { disabled: true } },
      h.tokens.admin,
    );
    expect(off.json()).toMatchObject({ disabled: true });
    expect((await call(h, { method: 'GET', url: '/api/auth/me' }, t2)).statusCode).toBe(401);
    expect((await login(h, 'dora', 'dora-password-1', '10.0.0.9')).statusCode).toBe(401);
  });

  it('keeps at least one active admin', async () => {
    const res = await call(
      h,
      { method: 'PATCH', url: `/api/users/${h.ids.admin}`, payload: { role: 'clinician' } },
      h.tokens.admin,
    );
    expect([res.statusCode, res.json().code]).toEqual([409, 'LAST_ADMIN']);
  });

  it('limits failed logins per client address and audits them', async () => {
    for (let i = 0; i < 3; i++)
      expect((await login(h, 'alice', `wrong-${i}`, '10.0.0.66')).statusCode).toBe(401);
    const limited = await login(h, 'alice', 'alice-password-1', '10.0.0.66');
    expect([limited.statusCode, limited.json().code]).toEqual([429, 'LOGIN_RATE_LIMITED']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await login(h, 'alice', 'alice-password-1', '10.0.0.67')).statusCode).toBe(200);
    const fails = h.services.audit
      .query({ limit: 10, action: 'login.fail' })
      .filter((a) => a.ip === '10.0.0.66');
    expect(fails).toHaveLength(3);
    expect(fails[0]!.actor).toBe(h.ids.admin);
    expect(JSON.stringify(fails)).not.toContain('wrong-');
    expect(h.services.audit.query({ limit: 5, action: 'login.refused' })[0]!.ip).toBe('10.0.0.66');
  });
});

describe('TLS', () => {
  it('serves HTTPS from the configured certificate, with HSTS and Secure cookies', async () => {
    const dir = tempDir();
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const h = await startHarness(dir, {
      listen: true,
      overrides: { http: { port: 0, tls_cert_file: cert, tls_key: readFileSync(key, 'utf8') } },
    });
    try {
      const res = await new Promise<{ status: number; headers: Record<string, unknown> }>(
        (resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port: h.http.port,
              path: '/api/auth/login',
              method: 'POST',
              ca: readFileSync(cert),
              headers: { 'content-type': 'application/json' },
            },
            (r) => {
              r.resume();
              r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers }));
            },
          );
          req.on('error', reject);
          req.end(JSON.stringify({ username: 'carol', password: 'carol-password-1' }));
        },
      );
      expect(res.status).toBe(200);
      expect(String(res.headers['strict-transport-security'])).toContain('max-age=31536000');
      expect(String(res.headers['set-cookie'])).toContain('Secure');
      expect(String(res.headers['content-security-policy'])).toContain('upgrade-insecure-requests');
    } finally {
      await h.close();
    }
  });
});
