import { createHash, randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { DUMMY_ACCOUNT } from 's3rver/lib/models/account.js';
import { freePort } from './process.js';
import { afterFile, tempDir } from './tmp.js';

export interface S3Server {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** PUTs the server stored, per key (ObjectCreated:Put events). */
  puts(key: string): number;
  /** The object's bytes' sha256 and its metadata. */
  object(key: string): Promise<{ sha256: string; sizeBytes: number; metadata: Record<string, string> }>;
  keys(prefix: string): Promise<string[]>;
  exists(key: string): Promise<boolean>;
  /** Takes the server away (connections refused) / brings it back on the same port and data. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * A real S3 REST server (s3rver: signatures checked, objects on disk) in this process on a free
 * loopback port, with a bucket made through the S3 API and an access key of its own. Stopped
 * after the test file.
 */
export async function startS3(bucket = 'orsight-test'): Promise<S3Server> {
  const dir = tempDir('orsight-s3-');
  const port = await freePort();
  const accessKeyId = `orsight-test-${randomBytes(4).toString('hex')}`;
  const secretAccessKey = `secret-${randomBytes(16).toString('hex')}`;
  DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
  const puts = new Map<string, number>();
  let server: S3rver | undefined;
  const start = async () => {
    // A fresh instance each time (a closed one does not run again); same port, same directory.
    const s = new S3rver({ address: '127.0.0.1', port, directory: dir, silent: true });
    s.on('event', (e) => {
      for (const r of e.Records) {
        if (r.eventName === 'ObjectCreated:Put')
          puts.set(r.s3.object.key, (puts.get(r.s3.object.key) ?? 0) + 1);
      }
    });
    await s.run();
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    const closed = s.close();
    // Keep-alive connections (the ingest's SDK) would hold the port until they time out.
    s.httpServer?.closeAllConnections();
    await closed;
  };
  await start();
  afterFile(stop);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  afterFile(() => client.destroy());
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    puts: (key) => puts.get(key) ?? 0,
    object: async (key) => {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = Buffer.from(await r.Body!.transformToByteArray());
      return {
        sha256: createHash('sha256').update(body).digest('hex'),
        sizeBytes: body.length,
        metadata: r.Metadata ?? {},
      };
    },
    keys: async (prefix) => {
      const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (r.Contents ?? []).map((c) => c.Key!).sort();
    },
    exists: (key) =>
      client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
        () => true,
        () => false,
      ),
    stop,
    start,
  };
}
