import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * A model package as one file for transfer: JSON `{ v, version, files: [{ path, base64 }] }`.
 * Its sha256 is named in the signed model_rollout command, so the bytes are authenticated
 * before anything is unpacked; the inference part then checks the package's own manifest.
 */
export interface ModelBundle {
  v: 1;
  version: string;
  files: Array<{ path: string; base64: string }>;
}

const MAX_FILES = 1000;

/** Packs every file under dir (headquarters side). */
export function packModelBundle(dir: string, version: string): Buffer {
  const files: ModelBundle['files'] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else
        files.push({
          path: relative(dir, p).split(sep).join('/'),
          base64: readFileSync(p).toString('base64'),
        });
    }
  };
  walk(dir);
  const bundle: ModelBundle = { v: 1, version, files };
  return Buffer.from(JSON.stringify(bundle));
}

/** Unpacks a verified bundle into dir; refuses paths that would leave it. */
export async function unpackModelBundle(data: Buffer, dir: string): Promise<ModelBundle> {
  const bundle = JSON.parse(data.toString()) as ModelBundle;
  if (bundle?.v !== 1 || !Array.isArray(bundle.files) || bundle.files.length > MAX_FILES) {
    throw new Error('not an orsight model bundle');
  }
  const root = resolve(dir);
  for (const f of bundle.files) {
    if (typeof f.path !== 'string' || typeof f.base64 !== 'string') throw new Error('bundle entry malformed');
    const target = resolve(root, f.path);
    if (!target.startsWith(`${root}${sep}`))
      throw new Error(`bundle path "${f.path}" leaves the package folder`);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, Buffer.from(f.base64, 'base64'));
  }
  return bundle;
}
