import { createReadStream, readFileSync } from 'node:fs';
import {
  DeleteObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { fileDigests } from '../file-hash.js';
import type { DeviceId } from '../topics.js';

/** orsight-central's S3 settings, validated (see parseS3Config). */
export interface S3Config {
  bucket: string;
  /** Custom endpoint (MinIO, Ceph, …); undefined = AWS. */
  endpoint: string | undefined;
  region: string;
  /** Prepended to `<site>/<device>/<fileId>`; empty or ends with `/`. */
  prefix: string;
  forcePathStyle: boolean;
  /** Static credentials; undefined = the AWS SDK's default chain (AWS_* env, profile, role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/** What the `serve` command takes for S3 (CLI options, with env defaults). */
export interface S3Options {
  s3Bucket?: string;
  s3Endpoint?: string;
  s3Region?: string;
  s3Prefix?: string;
  s3ForcePathStyle?: boolean;
  s3AccessKeyIdFile?: string;
  s3SecretAccessKeyFile?: string;
}

/** A setting that cannot work; `option` is the CLI option (or env variable) to fix. */
export class S3ConfigError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
  }
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9-]{1,64}$/;

/**
 * Validates the S3 options; undefined when S3 is not configured (files stay in the
 * directory). Reads credential files here, so a missing file fails before anything connects.
 * Never puts a secret into an error message.
 */
export function parseS3Config(o: S3Options, env: NodeJS.ProcessEnv = process.env): S3Config | undefined {
  const idEnv = env.ORSIGHT_CENTRAL_S3_ACCESS_KEY_ID;
  const secretEnv = env.ORSIGHT_CENTRAL_S3_SECRET_ACCESS_KEY;
  const given = [
    o.s3Endpoint !== undefined && '--s3-endpoint',
    o.s3Region !== undefined && '--s3-region',
    o.s3Prefix !== undefined && '--s3-prefix',
    o.s3ForcePathStyle && '--s3-force-path-style',
    o.s3AccessKeyIdFile !== undefined && '--s3-access-key-id-file',
    o.s3SecretAccessKeyFile !== undefined && '--s3-secret-access-key-file',
    idEnv !== undefined && 'ORSIGHT_CENTRAL_S3_ACCESS_KEY_ID',
    secretEnv !== undefined && 'ORSIGHT_CENTRAL_S3_SECRET_ACCESS_KEY',
  ].filter((x): x is string => typeof x === 'string');
  if (o.s3Bucket === undefined) {
    if (given.length > 0)
      throw new S3ConfigError(
        '--s3-bucket',
        `required when ${given[0]} is set (S3 is used only with a bucket)`,
      );
    return undefined;
  }
  const bucket = o.s3Bucket;
  if (!BUCKET.test(bucket) || bucket.includes('..'))
    throw new S3ConfigError(
      '--s3-bucket',
      `"${bucket}" is not a bucket name (3–63 characters: lowercase letters, digits, dots, hyphens)`,
    );
  let endpoint: string | undefined;
  if (o.s3Endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(o.s3Endpoint);
    } catch {
      throw new S3ConfigError('--s3-endpoint', 'not a URL (e.g. https://s3.example.org:9000)');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new S3ConfigError('--s3-endpoint', 'must be an http:// or https:// URL');
    if (url.username || url.password)
      throw new S3ConfigError(
        '--s3-endpoint',
        'must not carry credentials; use ORSIGHT_CENTRAL_S3_ACCESS_KEY_ID / _SECRET_ACCESS_KEY',
      );
    if (url.pathname !== '/' || url.search || url.hash)
      throw new S3ConfigError(
        '--s3-endpoint',
        'must be the server only, without a path (the bucket is --s3-bucket)',
      );
    endpoint = url.origin;
  }
  const region = o.s3Region ?? 'us-east-1';
  if (!REGION.test(region)) throw new S3ConfigError('--s3-region', `"${region}" is not a region name`);
  const prefix = o.s3Prefix ?? '';
  if (prefix !== '') {
    if (prefix.startsWith('/') || !prefix.endsWith('/') || prefix.includes('//'))
      throw new S3ConfigError(
        '--s3-prefix',
        'must not start with "/", must end with "/" (e.g. orsight/files/)',
      );
    if (prefix.length > 512 || !/^[A-Za-z0-9!_.*'()/-]+$/.test(prefix))
      throw new S3ConfigError(
        '--s3-prefix',
        "at most 512 of S3's safe characters (letters, digits, / ! - _ . * ' ( ))",
      );
  }
  const id =
    o.s3AccessKeyIdFile !== undefined ? readSecret('--s3-access-key-id-file', o.s3AccessKeyIdFile) : idEnv;
  const secret =
    o.s3SecretAccessKeyFile !== undefined
      ? readSecret('--s3-secret-access-key-file', o.s3SecretAccessKeyFile)
      : secretEnv;
  if ((id === undefined) !== (secret === undefined))
    throw new S3ConfigError(
      id === undefined ? 'ORSIGHT_CENTRAL_S3_ACCESS_KEY_ID' : 'ORSIGHT_CENTRAL_S3_SECRET_ACCESS_KEY',
      'the access key id and the secret access key are given together (env or --s3-…-file), or neither',
    );
  if (id === '' || secret === '')
    throw new S3ConfigError(
      id === '' ? 'ORSIGHT_CENTRAL_S3_ACCESS_KEY_ID' : 'ORSIGHT_CENTRAL_S3_SECRET_ACCESS_KEY',
      'is empty',
    );
  return {
    bucket,
    endpoint,
    region,
    prefix,
    forcePathStyle: o.s3ForcePathStyle ?? false,
    credentials:
      id !== undefined && secret !== undefined ? { accessKeyId: id, secretAccessKey: secret } : undefined,
  };
}

function readSecret(option: string, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new S3ConfigError(option, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const value = text.trim();
  if (value === '') throw new S3ConfigError(option, `${file} is empty`);
  return value;
}

/** Where a stored file is: its object and whether this call uploaded it. */
export interface StoredObject {
  location: string;
  uploaded: boolean;
}

/**
 * Completed files in an S3-compatible bucket, at `<prefix><site>/<device>/<fileId>`, with the
 * whole-file sha256 as metadata (`x-amz-meta-sha256`). put() resolves only once the server
 * confirmed the object (a PUT is atomic: the object exists whole or not at all); it sends
 * Content-MD5 and x-amz-checksum-sha256 of the bytes on disk, so a server that checks either
 * refuses a corrupted body, and compares the returned ETag with the MD5 where the ETag is one
 * (servers that check neither, such as s3rver). Idempotent: an object already there with the
 * same sha256, size and (where comparable) MD5 is not uploaded again.
 */
export class S3FileStore {
  private readonly client: S3Client;

  constructor(
    readonly config: S3Config,
    options: { connectTimeoutMs?: number; requestTimeoutMs?: number; maxAttempts?: number } = {},
  ) {
    this.client = new S3Client({
      endpoint: config.endpoint,
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      credentials: config.credentials,
      // Checksums only where the operation needs them (we send our own): many S3-compatible
      // servers do not understand the SDK's default trailing CRC32 (aws-chunked) uploads.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: options.maxAttempts ?? 3,
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs ?? 10_000,
        requestTimeout: options.requestTimeoutMs ?? 300_000,
      },
    });
  }

  key(id: DeviceId, fileId: string): string {
    return `${this.config.prefix}${id.site}/${id.device}/${fileId}`;
  }

  location(id: DeviceId, fileId: string): string {
    return `s3://${this.config.bucket}/${this.key(id, fileId)}`;
  }

  /** Checks that the bucket answers (startup diagnostics; the ingest runs either way). */
  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.config.bucket }));
  }

  /**
   * Uploads the file at `path` (sizeBytes, whole-file sha256 already verified by the caller)
   * unless the bucket holds it already; resolves once the bucket has it.
   */
  async put(
    id: DeviceId,
    fileId: string,
    path: string,
    sizeBytes: number,
    sha256: string,
  ): Promise<StoredObject> {
    const Bucket = this.config.bucket;
    const Key = this.key(id, fileId);
    const location = this.location(id, fileId);
    // The digests of the bytes on disk now (the upload reads the same file once more).
    const { size, digests } = await fileDigests(path, ['sha256', 'md5']);
    const sums = { sha256: digests.sha256!, md5: digests.md5! };
    if (size !== sizeBytes || sums.sha256.toString('hex') !== sha256)
      throw new Error(`the stored part file changed (size ${size}, expected ${sizeBytes})`);
    const md5Hex = sums.md5.toString('hex');
    const existing = await this.client.send(new HeadObjectCommand({ Bucket, Key })).catch((err: unknown) => {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return undefined;
      throw err;
    });
    if (
      existing &&
      existing.Metadata?.sha256 === sha256 &&
      existing.ContentLength === sizeBytes &&
      etagAgrees(existing.ETag, md5Hex)
    ) {
      return { location, uploaded: false };
    }
    const put = await this.client.send(
      new PutObjectCommand({
        Bucket,
        Key,
        Body: createReadStream(path, { highWaterMark: 1 << 20 }),
        ContentLength: sizeBytes,
        ContentType: 'application/octet-stream',
        ContentMD5: sums.md5.toString('base64'),
        ChecksumSHA256: sums.sha256.toString('base64'),
        Metadata: { sha256 },
      }),
    );
    const badEtag = !etagAgrees(put.ETag, md5Hex);
    const badChecksum =
      put.ChecksumSHA256 !== undefined && put.ChecksumSHA256 !== sums.sha256.toString('base64');
    if (badEtag || badChecksum) {
      // The server kept other bytes than we sent: remove them so no later check trusts them.
      await this.client.send(new DeleteObjectCommand({ Bucket, Key })).catch(() => undefined);
      throw new Error(
        `the bucket's copy of ${location} does not match the file (${badEtag ? 'ETag' : 'sha256'})`,
      );
    }
    return { location, uploaded: true };
  }

  close(): void {
    this.client.destroy();
  }
}

/**
 * True when the ETag equals the MD5, or is not a plain MD5 (multipart, SSE-KMS/SSE-C ETags):
 * then the server's own Content-MD5 / checksum verification is what we rely on.
 */
function etagAgrees(etag: string | undefined, md5Hex: string): boolean {
  const e = etag?.replaceAll('"', '').toLowerCase();
  return e === undefined || !/^[0-9a-f]{32}$/.test(e) || e === md5Hex;
}
