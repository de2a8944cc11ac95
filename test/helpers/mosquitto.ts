import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT, waitFor } from './process.js';
import { afterFile, tempDir } from './tmp.js';

export interface Identity {
  cert: string;
  key: string;
}

export interface Broker {
  port: number;
  url: string;
  dir: string;
  caFile: string;
  /** Certificate + key whose CN is `cn` (devices: "<site>/<device>"; ingest: "central-1"). */
  identity(cn: string): Identity;
  /** TLS arguments for mosquitto_pub / mosquitto_sub as `cn`. */
  cliArgs(cn: string): string[];
  log(): string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

function issue(dir: string, name: string, cn: string, ext: string): Identity {
  openssl(
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn.replaceAll('/', '\\/')}`,
    ],
    dir,
  );
  writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/**
 * Starts a real mosquitto on a free loopback port with TLS (a throw-away CA made with
 * openssl), require_certificate, use_identity_as_username, use_username_as_clientid and the
 * repository's ACL file (config/mosquitto/orsight.acl). stop()/start() restart it on the same
 * port with the same persistence directory (outage tests).
 */
export async function startMosquitto(options: { extraConf?: string; dir?: string } = {}): Promise<Broker> {
  // Without a dir (tests) the broker and its files go away after the test file; with one
  // (benchmarks) the caller stops it.
  const managed = options.dir === undefined;
  const dir = options.dir ?? tempDir('orsight-mosquitto-');
  mkdirSync(dir, { recursive: true });
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=orsight-test-ca',
    ],
    dir,
  );
  issue(dir, 'server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  const identities = new Map<string, Identity>();
  const identity = (cn: string): Identity => {
    let id = identities.get(cn);
    if (!id) {
      id = issue(dir, `id-${identities.size}`, cn, 'basicConstraints=CA:FALSE');
      identities.set(cn, id);
    }
    return id;
  };
  const port = await freePort();
  mkdirSync(join(dir, 'persist'), { recursive: true });
  writeFileSync(join(dir, 'orsight.acl'), readFileSync(join(ROOT, 'config', 'mosquitto', 'orsight.acl')));
  const conf = [
    'per_listener_settings false',
    'allow_anonymous false',
    `acl_file ${join(dir, 'orsight.acl')}`,
    'persistence true',
    `persistence_location ${join(dir, 'persist')}/`,
    // mosquitto drops root to the "mosquitto" user, which cannot read this temp dir.
    `user ${userInfo().username}`,
    `listener ${port} 127.0.0.1`,
    `cafile ${join(dir, 'ca.crt')}`,
    `certfile ${join(dir, 'server.crt')}`,
    `keyfile ${join(dir, 'server.key')}`,
    'require_certificate true',
    'use_identity_as_username true',
    'use_username_as_clientid true',
    'max_inflight_messages 1000',
    'set_tcp_nodelay true',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type subscribe',
    'log_type information',
    options.extraConf ?? '',
  ].join('\n');
  writeFileSync(join(dir, 'mosquitto.conf'), `${conf}\n`);

  let child: ChildProcess | undefined;
  let out = '';
  const start = async () => {
    const c = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    c.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const mark = out.length;
    await waitFor(
      () => {
        if (c.exitCode !== null) throw new Error(`mosquitto exited: ${out.slice(mark)}`);
        return out.slice(mark).includes(`listen socket on port ${port}`);
      },
      10_000,
      'mosquitto to listen',
    );
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  if (managed) afterFile(stop);
  return {
    port,
    url: `mqtts://127.0.0.1:${port}`,
    dir,
    caFile: join(dir, 'ca.crt'),
    identity,
    cliArgs: (cn) => {
      const id = identity(cn);
      return [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '--cafile',
        join(dir, 'ca.crt'),
        '--cert',
        id.cert,
        '--key',
        id.key,
      ];
    },
    log: () => out,
    stop,
    start,
  };
}
