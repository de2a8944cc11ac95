import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest } from '../manifest.js';
import { MANIFEST_FILE, sha256 } from '../package-loader.js';
import { tf } from '../runtime/tf.js';

/**
 * Saves a layers model as model.json + one weight shard and writes the manifest with the
 * sha256 of every file.
 */
export async function writeModelPackage(
  dir: string,
  model: tf.LayersModel,
  manifest: Omit<ModelManifest, 'files' | 'model'>,
): Promise<ModelManifest> {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {};
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const shard = 'weights.bin';
      const weightData = artifacts.weightData as ArrayBuffer;
      const modelJson = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [shard], weights: artifacts.weightSpecs }],
      };
      const json = Buffer.from(JSON.stringify(modelJson));
      const bin = new Uint8Array(weightData);
      writeFileSync(join(dir, 'model.json'), json);
      writeFileSync(join(dir, shard), bin);
      files['model.json'] = sha256(json);
      files[shard] = sha256(bin);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const full: ModelManifest = {
    ...manifest,
    model: { file: 'model.json', kind: 'tfjs-layers', outputs: 'probabilities' },
    files,
  };
  writeManifest(dir, full);
  return full;
}

export function writeManifest(dir: string, manifest: ModelManifest): void {
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}
