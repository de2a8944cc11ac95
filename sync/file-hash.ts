import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** sha256 of a whole file, streamed (never loads the file into memory). */
export async function sha256File(path: string): Promise<string> {
  const { digests } = await fileDigests(path, ['sha256']);
  return digests.sha256!.toString('hex');
}

/** Size and digests (e.g. sha256 and md5) of a whole file, in one streamed read. */
export function fileDigests(
  path: string,
  algorithms: readonly string[],
): Promise<{ size: number; digests: Record<string, Buffer> }> {
  return new Promise((resolve, reject) => {
    const hashes = algorithms.map((a) => createHash(a));
    let size = 0;
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (d) => {
        size += d.length;
        for (const h of hashes) h.update(d);
      })
      .on('error', reject)
      .on('end', () =>
        resolve({ size, digests: Object.fromEntries(algorithms.map((a, i) => [a, hashes[i]!.digest()])) }),
      );
  });
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * Hashes chunks that may be read out of order, in offset order: a chunk waits (at most the
 * chunks in flight) until the bytes before it are hashed. Saves a second read of the file.
 */
export class OrderedHasher {
  private readonly hash = createHash('sha256');
  private readonly waiting = new Map<number, Buffer>();
  upToBytes = 0;
  /** Bytes of the chunks waiting for the bytes before them. */
  waitingBytes = 0;

  /** Chunks waiting for the bytes before them. */
  get waitingChunks(): number {
    return this.waiting.size;
  }

  add(offsetBytes: number, data: Buffer): void {
    if (offsetBytes < this.upToBytes) return; // a resend of bytes already hashed
    this.waitingBytes += data.length - (this.waiting.get(offsetBytes)?.length ?? 0);
    this.waiting.set(offsetBytes, data);
    for (let b = this.waiting.get(this.upToBytes); b !== undefined; b = this.waiting.get(this.upToBytes)) {
      this.waiting.delete(this.upToBytes);
      this.waitingBytes -= b.length;
      this.hash.update(b);
      this.upToBytes += b.length;
    }
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
