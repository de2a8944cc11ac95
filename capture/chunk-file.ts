import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Size and sha256 of a closed chunk, hashed in this (source) process, off the daemon's loop. */
export async function describeChunk(path: string): Promise<{ sizeBytes: number; sha256: string }> {
  const { size } = await stat(path);
  const hash = createHash('sha256');
  for await (const part of createReadStream(path)) hash.update(part as Buffer);
  return { sizeBytes: size, sha256: hash.digest('hex') };
}
