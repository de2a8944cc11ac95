import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import { ModelPackageError } from './errors.js';
import { checkManifest, type ModelManifest } from './manifest.js';

export const MANIFEST_FILE = 'manifest.json';

/** What the TF.js model.json holds (layers or graph format). */
export interface ModelJson {
  format?: string;
  modelTopology: Record<string, unknown>;
  weightsManifest: Array<{
    paths: string[];
    weights: Array<{ name: string; shape: number[]; dtype: string }>;
  }>;
  signature?: unknown;
  [k: string]: unknown;
}

/** A package that passed every check: the manifest and the model's artifacts, in memory. */
export interface LoadedPackage {
  dir: string;
  manifest: ModelManifest;
  modelJson: ModelJson;
  weightSpecs: ModelJson['weightsManifest'][number]['weights'];
  /** All weight shards concatenated in manifest order. */
  weightData: ArrayBuffer;
  sizeBytes: number;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Reads and verifies a model package folder: manifest shape and meaning, every listed file
 * present with its sha256, every weight shard listed, and the model's input shape equal to
 * the manifest's. Throws ModelPackageError naming the first problem found.
 */
export function loadModelPackage(dirIn: string): LoadedPackage {
  const dir = resolve(dirIn);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ModelPackageError('PACKAGE_NOT_FOUND', `model package folder ${dir} does not exist`, dir);
  }
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    throw new ModelPackageError(
      'MANIFEST_MISSING',
      `${manifestPath} is missing: a package needs a manifest.json`,
      dir,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (err) {
    throw new ModelPackageError(
      'MANIFEST_INVALID_JSON',
      `${manifestPath} is not valid JSON: ${(err as Error).message}`,
      dir,
    );
  }
  const manifest = checkManifest(raw, dir);

  const contents = new Map<string, Buffer>();
  let sizeBytes = 0;
  for (const [name, expected] of Object.entries(manifest.files)) {
    const path = safeJoin(dir, name);
    if (!existsSync(path))
      throw new ModelPackageError('FILE_MISSING', `file "${name}" listed in manifest.files is missing`, dir);
    const data = readFileSync(path);
    const actual = sha256(data);
    if (actual !== expected) {
      throw new ModelPackageError(
        'FILE_HASH_MISMATCH',
        `file "${name}" has sha256 ${actual}, the manifest says ${expected}: the package is corrupted or was changed after it was signed off`,
        dir,
      );
    }
    contents.set(name, data);
    sizeBytes += data.byteLength;
  }

  let modelJson: ModelJson;
  try {
    modelJson = JSON.parse(contents.get(manifest.model.file)!.toString('utf8')) as ModelJson;
  } catch (err) {
    throw new ModelPackageError(
      'MODEL_JSON_INVALID',
      `${manifest.model.file} is not valid JSON: ${(err as Error).message}`,
      dir,
    );
  }
  if (typeof modelJson.modelTopology !== 'object' || !Array.isArray(modelJson.weightsManifest)) {
    throw new ModelPackageError(
      'MODEL_JSON_INVALID',
      `${manifest.model.file} lacks modelTopology or weightsManifest`,
      dir,
    );
  }
  const shards: Buffer[] = [];
  const weightSpecs: LoadedPackage['weightSpecs'] = [];
  for (const group of modelJson.weightsManifest) {
    for (const p of group.paths) {
      const data = contents.get(normalize(p));
      if (!data) {
        throw new ModelPackageError(
          'FILE_NOT_LISTED',
          `weight shard "${p}" named by ${manifest.model.file} is not listed in manifest.files`,
          dir,
        );
      }
      shards.push(data);
    }
    weightSpecs.push(...group.weights);
  }
  const total = Buffer.concat(shards);
  const weightData = total.buffer.slice(total.byteOffset, total.byteOffset + total.byteLength) as ArrayBuffer;

  const shape = declaredInputShape(modelJson);
  if (shape) {
    const { width, height, channels, layout } = manifest.input;
    const want = layout === 'NHWC' ? [height, width, channels] : [channels, height, width];
    const got = shape.slice(1);
    if (got.length !== 3 || got.some((d, i) => d !== -1 && d !== null && d !== want[i])) {
      throw new ModelPackageError(
        'INPUT_SHAPE_MISMATCH',
        `the model's input shape is [${shape.map((d) => d ?? 'batch').join(', ')}] but the manifest declares ${layout} ${width}x${height}x${channels} ([batch, ${want.join(', ')}])`,
        dir,
      );
    }
  }
  return { dir, manifest, modelJson, weightSpecs, weightData, sizeBytes };
}

/** The input shape written in model.json, when it can be read without building the model. */
export function declaredInputShape(modelJson: ModelJson): Array<number | null> | undefined {
  const topo = modelJson.modelTopology as {
    model_config?: { config?: { layers?: Array<{ config?: { batch_input_shape?: Array<number | null> } }> } };
    config?: { layers?: Array<{ config?: { batch_input_shape?: Array<number | null> } }> };
    node?: Array<{ op?: string; attr?: { shape?: { shape?: { dim?: Array<{ size?: string | number }> } } } }>;
  };
  const layers = topo.model_config?.config?.layers ?? topo.config?.layers;
  const bis = layers?.[0]?.config?.batch_input_shape;
  if (Array.isArray(bis)) return bis;
  const placeholder = topo.node?.find((n) => n.op === 'Placeholder');
  const dims = placeholder?.attr?.shape?.shape?.dim;
  if (Array.isArray(dims)) return dims.map((d) => Number(d.size ?? -1));
  return undefined;
}

function safeJoin(dir: string, name: string): string {
  const n = normalize(name);
  if (isAbsolute(n) || n.startsWith('..') || n.includes('\0')) {
    throw new ModelPackageError(
      'FILE_UNSAFE_PATH',
      `manifest.files entry "${name}" points outside the package folder`,
      dir,
    );
  }
  return join(dir, n);
}
