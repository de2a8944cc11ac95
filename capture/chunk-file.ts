import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Seals a closed chunk: its bytes and its directory entry are made durable (fdatasync, fsync
 * of the folder) before the chunk is reported, so a recording the database lists survives a
 * power cut; then its size and sha256, hashed in this (source) process, off the daemon's loop.
 */
export async function describeChunk(path: string): Promise<{ sizeBytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let size: number;
  const fh = await open(path, 'r');
  try {
    await fh.datasync();
    ({ size } = await fh.stat());
    for await (const part of fh.createReadStream({ autoClose: false })) hash.update(part as Buffer);
  } finally {
    await fh.close();
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return { sizeBytes: size, sha256: hash.digest('hex') };
}
