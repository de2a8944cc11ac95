import { constants } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sha256File } from '../file-hash.js';
import type { DeviceId } from '../topics.js';

/**
 * Files on disk: `<dir>/<site>/<device>/<fileId>` once complete, `.part` while receiving.
 * Every chunk is written at its offset and fsynced before it is acknowledged; the final
 * rename is followed by an fsync of the directory.
 */
export class FileStore {
  constructor(private readonly dir: string) {}

  finalPath(id: DeviceId, fileId: string): string {
    return join(this.dir, id.site, id.device, fileId);
  }

  partPath(id: DeviceId, fileId: string): string {
    return `${this.finalPath(id, fileId)}.part`;
  }

  async writeChunk(id: DeviceId, fileId: string, offsetBytes: number, data: Buffer): Promise<void> {
    const path = this.partPath(id, fileId);
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o640);
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await fh.write(data, written, data.length - written, offsetBytes + written);
        written += bytesWritten;
      }
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  /** Cuts the part file to sizeBytes (leftovers of an earlier attempt) and syncs it. */
  async truncatePart(id: DeviceId, fileId: string, sizeBytes: number): Promise<void> {
    const path = this.partPath(id, fileId);
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o640);
    try {
      await fh.truncate(sizeBytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** Truncates the part file to sizeBytes and returns its sha256. */
  async partSha256(id: DeviceId, fileId: string, sizeBytes: number): Promise<string> {
    await this.truncatePart(id, fileId, sizeBytes);
    return sha256File(this.partPath(id, fileId));
  }

  /** Moves the part file into place and makes the rename durable. */
  async commit(id: DeviceId, fileId: string): Promise<string> {
    const final = this.finalPath(id, fileId);
    await rename(this.partPath(id, fileId), final);
    const d = await open(dirname(final), 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
    return final;
  }

  async discardPart(id: DeviceId, fileId: string): Promise<void> {
    await rm(this.partPath(id, fileId), { force: true });
  }
}
