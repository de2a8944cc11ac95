import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sha256File } from '../file-hash.js';
import type { DeviceId } from '../topics.js';
import { GroupSync } from './group-sync.js';

/** An open part file, shared by the chunks being written to it. */
interface Part {
  fh: Promise<FileHandle>;
  /** Operations under way (writes, syncs); the handle is closed only when there are none. */
  users: number;
  idle: NodeJS.Timeout | undefined;
  /** fdatasync of the handle, shared by the writes completed before it started. */
  sync: GroupSync;
  /** Called when users drops to 0 (close waits for the operations under way). */
  drained: Array<() => void>;
}

/** A part file nobody wrote to for this long is closed (a device that went away mid-file). */
const IDLE_CLOSE_MS = 10_000;

/**
 * Files on disk: `<dir>/<site>/<device>/<fileId>` once complete, `.part` while receiving.
 * Every chunk is written at its offset and fsynced (fdatasync) before writeChunk resolves, so
 * before it is acknowledged; chunks written concurrently share one fdatasync (group commit:
 * a sync covers every write that completed before it started, a write that completes while
 * one runs waits for the next). The final rename is followed by an fsync of the directory.
 */
export class FileStore {
  private readonly parts = new Map<string, Part>();

  constructor(private readonly dir: string) {}

  finalPath(id: DeviceId, fileId: string): string {
    return join(this.dir, id.site, id.device, fileId);
  }

  partPath(id: DeviceId, fileId: string): string {
    return `${this.finalPath(id, fileId)}.part`;
  }

  /** Writes one chunk at its offset; resolves once it is on disk (fdatasync). */
  async writeChunk(id: DeviceId, fileId: string, offsetBytes: number, data: Buffer): Promise<void> {
    await this.using(id, fileId, async (fh, part) => {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await fh.write(data, written, data.length - written, offsetBytes + written);
        written += bytesWritten;
      }
      await part.sync.sync();
    });
  }

  /** Cuts the part file to sizeBytes (leftovers of an earlier attempt) and syncs it. */
  async truncatePart(id: DeviceId, fileId: string, sizeBytes: number): Promise<void> {
    await this.using(id, fileId, async (fh, part) => {
      // Writes still syncing finish first; the full sync below covers the size too.
      await part.sync.settled();
      await fh.truncate(sizeBytes);
      await fh.sync();
    });
  }

  /** Truncates the part file to sizeBytes and returns its sha256. */
  async partSha256(id: DeviceId, fileId: string, sizeBytes: number): Promise<string> {
    await this.truncatePart(id, fileId, sizeBytes);
    return sha256File(this.partPath(id, fileId));
  }

  /** Moves the part file into place and makes the rename durable. */
  async commit(id: DeviceId, fileId: string): Promise<string> {
    await this.close(this.partPath(id, fileId));
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
    await this.close(this.partPath(id, fileId));
    await rm(this.partPath(id, fileId), { force: true });
  }

  /** Closes every part file (shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.parts.keys()].map((path) => this.close(path)));
  }

  private async using<T>(
    id: DeviceId,
    fileId: string,
    fn: (fh: FileHandle, part: Part) => Promise<T>,
  ): Promise<T> {
    const path = this.partPath(id, fileId);
    let part = this.parts.get(path);
    if (!part) {
      const fh = mkdir(dirname(path), { recursive: true }).then(() =>
        open(path, constants.O_RDWR | constants.O_CREAT, 0o640),
      );
      part = {
        fh,
        users: 0,
        idle: undefined,
        sync: new GroupSync(async () => (await fh).datasync()),
        drained: [],
      };
      this.parts.set(path, part);
      fh.catch(() => {
        if (this.parts.get(path) === part) this.parts.delete(path);
      });
    }
    const p = part;
    p.users += 1;
    clearTimeout(p.idle);
    p.idle = undefined;
    try {
      return await fn(await p.fh, p);
    } finally {
      p.users -= 1;
      if (p.users === 0) {
        for (const done of p.drained.splice(0)) done();
        if (this.parts.get(path) === p) {
          p.idle = setTimeout(() => void this.close(path).catch(() => undefined), IDLE_CLOSE_MS);
          p.idle.unref();
        }
      }
    }
  }

  /**
   * Retires the part file's handle: later writes open the path afresh, and the handle is
   * closed once the operations under way on it are done (so a rename comes after them).
   */
  private async close(path: string): Promise<void> {
    const part = this.parts.get(path);
    if (!part) return;
    this.parts.delete(path);
    clearTimeout(part.idle);
    while (part.users > 0) await new Promise<void>((r) => part.drained.push(r));
    const fh = await part.fh.catch(() => undefined);
    await fh?.close();
  }
}
