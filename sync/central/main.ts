import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { MqttLink } from '../mqtt-link.js';
import { signCommand } from '../signing.js';
import type { CentralBackend } from './backend.js';
import { CentralStore } from './central-store.js';
import { FileStore } from './file-store.js';
import { fleetView, formatFleet } from './fleet.js';
import { createFleetApi } from './http-api.js';
import { Ingest, ingestSubscriptions } from './ingest.js';
import { ModelStore } from './model-store.js';
import { PgBackend } from './pg-backend.js';
import { parseS3Config, S3ConfigError, S3FileStore, type S3Options } from './s3-store.js';

/**
 * `orsight-central`: headquarters' ingest (serve), the fleet view (fleet), and a helper that
 * signs commands for devices (sign-command). Exit codes: 0 ok, 1 failure, 2 bad input.
 */
const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${name} must be an integer ${min}–${max}`);
  return n;
};

interface ServeOptions extends S3Options {
  broker: string;
  ca?: string;
  cert?: string;
  key?: string;
  clientId: string;
  shareGroup: string;
  dataDir: string;
  httpHost: string;
  httpPort: number;
  batchMax: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  keepaliveS: number;
  sessionExpiryS: number;
  logLevel: string;
  postgres?: string;
}

/** SQLite in the data directory by default; PostgreSQL when --postgres is given. */
async function openBackend(o: { dataDir: string; postgres?: string }): Promise<CentralBackend> {
  return o.postgres ? PgBackend.open(o.postgres) : CentralStore.open(join(o.dataDir, 'central.db'));
}

async function serve(o: ServeOptions): Promise<void> {
  const log = pino({
    level: o.logLevel,
    base: { pid: process.pid, module: 'central' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  let s3: ReturnType<typeof parseS3Config>;
  try {
    s3 = parseS3Config(o);
  } catch (err) {
    if (!(err instanceof S3ConfigError)) throw err;
    process.stderr.write(`orsight-central serve: ${err.message}\n`);
    process.exit(2);
  }
  const store = await openBackend(o);
  const files = new FileStore(join(o.dataDir, 'files'));
  const objects = s3 ? new S3FileStore(s3) : undefined;
  if (objects && s3) {
    // Never the credentials: only where files go.
    log.info(
      {
        bucket: s3.bucket,
        endpoint: s3.endpoint ?? 'aws',
        region: s3.region,
        prefix: s3.prefix,
        forcePathStyle: s3.forcePathStyle,
        credentials: s3.credentials ? 'static' : 'sdk-default-chain',
      },
      'files go to the S3 bucket',
    );
    // Diagnostics only: the ingest runs while the bucket is away (fin fails until it is back).
    objects
      .check()
      .then(() => log.info({ bucket: s3.bucket }, 'S3 bucket reachable'))
      .catch((err: Error) =>
        log.warn(
          { bucket: s3.bucket, err: err.message },
          'S3 bucket not reachable now; files will wait at fin',
        ),
      );
  }
  const link = new MqttLink(
    {
      url: o.broker,
      clientId: o.clientId,
      caFile: o.ca,
      certFile: o.cert,
      key: o.key ? readFileSync(o.key, 'utf8') : undefined,
      keepaliveS: o.keepaliveS,
      connectTimeoutMs: 15_000,
      reconnectMinMs: o.reconnectMinMs,
      reconnectMaxMs: o.reconnectMaxMs,
      sessionExpiryS: o.sessionExpiryS,
      subscriptions: ingestSubscriptions(o.shareGroup),
    },
    log.child({ module: 'central.mqtt' }),
  );
  const killAfter = process.env.ORSIGHT_CENTRAL_FAULT_KILL_AFTER_STORED;
  const ingest = new Ingest(
    store,
    files,
    new ModelStore(join(o.dataDir, 'models')),
    link,
    {
      shareGroup: o.shareGroup,
      batchMax: o.batchMax,
      killAfterStored: killAfter ? Number(killAfter) : undefined,
      objects,
      killAfterObjectPut: process.env.ORSIGHT_CENTRAL_FAULT_KILL_AFTER_OBJECT_PUT === '1',
    },
    log.child({ module: 'central.ingest' }),
  );
  link.on('message', (topic, payload) => ingest.onMessage(topic, payload));
  let connectedOnce = false;
  const http = createFleetApi(store);
  await new Promise<void>((resolve) => http.listen(o.httpPort, o.httpHost, resolve));
  const addr = http.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.httpPort;
  link.on('up', () => {
    if (connectedOnce) return;
    connectedOnce = true;
    log.info({ httpPort: port, clientId: o.clientId, shareGroup: o.shareGroup }, 'orsight-central ready');
  });
  link.start();

  const stop = async (signal: string) => {
    log.info({ signal }, 'stopping');
    await ingest.drain().catch(() => undefined);
    await files.closeAll().catch(() => undefined);
    await link.stop();
    http.close();
    await store.close();
    objects?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

const program = new Command('orsight-central')
  .description('orsight headquarters: ingest devices over MQTT, fleet view')
  .exitOverride((err) =>
    process.exit(err.exitCode === 1 && err.code !== 'commander.help' ? 2 : err.exitCode),
  );

program
  .command('serve')
  .description('run the ingest: shared subscription, idempotent store, fsync, then acknowledge')
  .requiredOption(
    '--broker <url>',
    'broker URL, e.g. mqtts://broker:8883',
    process.env.ORSIGHT_CENTRAL_BROKER,
  )
  .option('--ca <file>', 'pinned CA certificate (PEM)', process.env.ORSIGHT_CENTRAL_CA)
  .option(
    '--cert <file>',
    'client certificate (PEM); its CN is the client id',
    process.env.ORSIGHT_CENTRAL_CERT,
  )
  .option('--key <file>', 'client private key (PEM)', process.env.ORSIGHT_CENTRAL_KEY)
  .option(
    '--client-id <id>',
    'MQTT client id (one per ingest process)',
    process.env.ORSIGHT_CENTRAL_CLIENT_ID ?? 'central-1',
  )
  .option('--share-group <name>', 'shared-subscription group of the ingest processes', 'orsight-central')
  .requiredOption(
    '--data-dir <dir>',
    'where central.db and files/ live',
    process.env.ORSIGHT_CENTRAL_DATA_DIR,
  )
  .option('--http-host <host>', 'fleet API address', '127.0.0.1')
  .option('--http-port <port>', 'fleet API port (0 = any free)', int('--http-port', 0, 65535), 8090)
  .option('--batch-max <n>', 'records per transaction at most', int('--batch-max', 1, 100_000), 500)
  .option('--reconnect-min-ms <ms>', 'first reconnect delay', int('--reconnect-min-ms', 10, 600_000), 500)
  .option(
    '--reconnect-max-ms <ms>',
    'largest reconnect delay',
    int('--reconnect-max-ms', 100, 3_600_000),
    30_000,
  )
  .option('--keepalive-s <s>', 'MQTT keep-alive', int('--keepalive-s', 5, 3600), 30)
  .option(
    '--session-expiry-s <s>',
    'how long the broker queues messages for this ingest while it is away',
    int('--session-expiry-s', 0, 30 * 86400),
    86_400,
  )
  .option('--log-level <level>', 'pino level', 'info')
  .option(
    '--postgres <url>',
    'store records in PostgreSQL (e.g. postgres://user@host/db); default: SQLite in --data-dir',
    process.env.ORSIGHT_CENTRAL_POSTGRES,
  )
  .option(
    '--s3-bucket <name>',
    'store completed files in this S3-compatible bucket (default: the directory <data-dir>/files)',
    process.env.ORSIGHT_CENTRAL_S3_BUCKET,
  )
  .option(
    '--s3-endpoint <url>',
    'S3 endpoint for non-AWS servers, e.g. https://minio.example.org:9000 (default: AWS)',
    process.env.ORSIGHT_CENTRAL_S3_ENDPOINT,
  )
  .option('--s3-region <region>', 'S3 region (default us-east-1)', process.env.ORSIGHT_CENTRAL_S3_REGION)
  .option(
    '--s3-prefix <prefix>',
    'key prefix, ending in "/" (keys are <prefix><site>/<device>/<fileId>)',
    process.env.ORSIGHT_CENTRAL_S3_PREFIX,
  )
  .option(
    '--s3-force-path-style',
    'path-style URLs (http://host/bucket/key), as MinIO and most S3-compatible servers need',
    ['1', 'true', 'yes'].includes(process.env.ORSIGHT_CENTRAL_S3_FORCE_PATH_STYLE ?? '') || undefined,
  )
  .option(
    '--s3-access-key-id-file <file>',
    'file holding the access key id (else env ORSIGHT_CENTRAL_S3_ACCESS_KEY_ID, else the AWS SDK chain)',
    process.env.ORSIGHT_CENTRAL_S3_ACCESS_KEY_ID_FILE,
  )
  .option(
    '--s3-secret-access-key-file <file>',
    'file holding the secret access key (else env ORSIGHT_CENTRAL_S3_SECRET_ACCESS_KEY)',
    process.env.ORSIGHT_CENTRAL_S3_SECRET_ACCESS_KEY_FILE,
  )
  .action((o: ServeOptions) => serve(o));

program
  .command('fleet')
  .description('devices, last seen, versions, queue depth, per-case sync completeness')
  .requiredOption('--data-dir <dir>', 'where central.db lives', process.env.ORSIGHT_CENTRAL_DATA_DIR)
  .option('--json', 'JSON output')
  .option(
    '--postgres <url>',
    'PostgreSQL connection string (default: SQLite in --data-dir)',
    process.env.ORSIGHT_CENTRAL_POSTGRES,
  )
  .action(async (o: { dataDir: string; json?: boolean; postgres?: string }) => {
    const store = await openBackend(o);
    const devices = await fleetView(store);
    process.stdout.write(o.json ? `${JSON.stringify({ devices })}\n` : `${formatFleet(devices)}\n`);
    await store.close();
  });

const model = program.command('model').description('model packages offered to devices');
model
  .command('add')
  .description('pack a model package folder for rollout; prints the model_rollout params (JSON)')
  .requiredOption(
    '--data-dir <dir>',
    'where central.db and models/ live',
    process.env.ORSIGHT_CENTRAL_DATA_DIR,
  )
  .requiredOption('--version <version>', 'model version (as in its manifest)')
  .argument('<package>', 'model package folder')
  .action((pkg: string, o: { dataDir: string; version: string }) => {
    const params = new ModelStore(join(o.dataDir, 'models')).add(pkg, o.version);
    process.stdout.write(`${JSON.stringify(params)}\n`);
  });

program
  .command('sign-command')
  .description('sign a command (JSON file) with an ed25519 private key (PEM); prints the signed JSON')
  .requiredOption('--key <file>', 'ed25519 private key (PEM)')
  .argument('<file>', 'command JSON without sig')
  .action((file: string, o: { key: string }) => {
    const cmd = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    process.stdout.write(`${JSON.stringify(signCommand(cmd, readFileSync(o.key, 'utf8')))}\n`);
  });

await program.parseAsync(process.argv);
