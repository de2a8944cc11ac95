import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { packModelBundle } from '../model-bundle.js';
import { isFileId } from '../topics.js';

/** Model bundles headquarters offers for download: `<dir>/<fileId>`. */
export class ModelStore {
  constructor(private readonly dir: string) {}

  /** Packs a package folder; returns what a model_rollout command names. */
  add(
    packageDir: string,
    version: string,
  ): { fileId: string; version: string; sizeBytes: number; sha256: string } {
    const data = packModelBundle(packageDir, version);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const fileId = `model-${version.replace(/[^A-Za-z0-9_.-]/g, '_')}-${sha256.slice(0, 12)}`;
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, `${fileId}.tmp`), data);
    renameSync(join(this.dir, `${fileId}.tmp`), join(this.dir, fileId));
    return { fileId, version, sizeBytes: data.length, sha256 };
  }

  async read(fileId: string, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    if (!isFileId(fileId)) throw new Error('bad file id');
    const fh = await open(join(this.dir, fileId), 'r').catch(() => {
      throw new Error(`no model bundle ${fileId}`);
    });
    try {
      const buf = Buffer.alloc(lengthBytes);
      const { bytesRead } = await fh.read(buf, 0, lengthBytes, offsetBytes);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }
}
