import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** sha256 of a whole file, streamed (never loads the file into memory). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
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

  add(offsetBytes: number, data: Buffer): void {
    if (offsetBytes < this.upToBytes) return;
    this.waiting.set(offsetBytes, data);
    for (let b = this.waiting.get(this.upToBytes); b !== undefined; b = this.waiting.get(this.upToBytes)) {
      this.waiting.delete(this.upToBytes);
      this.hash.update(b);
      this.upToBytes += b.length;
    }
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
