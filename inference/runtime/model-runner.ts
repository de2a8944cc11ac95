import { ModelPackageError } from '../errors.js';
import type { LoadedPackage } from '../package-loader.js';
import { preprocess } from './preprocess.js';
import { tf } from './tf.js';

/** A verified package's model artifacts (already in memory) as a TF.js IO handler. */
export function packageArtifacts(pkg: LoadedPackage): tf.io.IOHandler {
  const { modelJson, weightSpecs, weightData } = pkg;
  return tf.io.fromMemory({
    modelTopology: modelJson.modelTopology as unknown as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: weightSpecs as tf.io.WeightsManifestEntry[],
    weightData,
    format: modelJson.format,
    signature: modelJson.signature as object | undefined,
  });
}

/**
 * A loaded model ready to classify frames on the active backend. Every call cleans up its
 * tensors (tidy + dispose), so tf.memory().numTensors stays flat however long it runs.
 */
export class ModelRunner {
  private model: tf.LayersModel | tf.GraphModel | undefined;

  constructor(readonly pkg: LoadedPackage) {}

  get classes(): string[] {
    return this.pkg.manifest.classes;
  }

  async load(): Promise<void> {
    const { manifest } = this.pkg;
    const handler = packageArtifacts(this.pkg);
    try {
      this.model =
        manifest.model.kind === 'tfjs-layers'
          ? await tf.loadLayersModel(handler)
          : await tf.loadGraphModel(handler);
    } catch (err) {
      throw new ModelPackageError(
        'MODEL_LOAD_FAILED',
        `TF.js could not build the model: ${(err as Error).message}`,
        this.pkg.dir,
      );
    }
  }

  /**
   * Runs the model on warm-up input (batch 1 and batchSize) and checks the output is one
   * score per class. Compiles kernels so the first live frame is not slow.
   */
  async warmUp(batchSize: number, runs: number): Promise<void> {
    const { width, height } = this.pkg.manifest.input;
    for (const n of [1, batchSize]) {
      for (let i = 0; i < runs; i++) {
        let out: Float32Array;
        try {
          out = await this.predict(new Uint8Array(n * width * height * 3).fill(96), n, width, height);
        } catch (err) {
          throw new ModelPackageError(
            'INPUT_SHAPE_MISMATCH',
            `the model rejects a ${width}x${height} input: ${(err as Error).message}`,
            this.pkg.dir,
          );
        }
        if (out.length !== n * this.classes.length) {
          throw new ModelPackageError(
            'OUTPUT_SHAPE_MISMATCH',
            `the model gives ${out.length / n} scores per frame but manifest.classes has ${this.classes.length} classes`,
            this.pkg.dir,
          );
        }
      }
    }
  }

  /** Class probabilities for n frames of packed RGB (n*h*w*3 bytes), as one flat array. */
  async predict(rgb: Uint8Array, n: number, width: number, height: number): Promise<Float32Array> {
    const manifest = this.pkg.manifest;
    const out = tf.tidy(() => {
      const raw = tf.tensor4d(rgb, [n, height, width, 3], 'int32');
      const x = preprocess(tf, raw, manifest.input);
      let y: tf.Tensor;
      if (this.model instanceof tf.GraphModel) {
        const outputs = manifest.model.outputName ?? undefined;
        const inputs = manifest.model.inputName ? { [manifest.model.inputName]: x } : x;
        y = this.model.execute(inputs, outputs) as tf.Tensor;
      } else {
        y = this.model!.predict(x) as tf.Tensor;
      }
      y = y.reshape([n, -1]);
      return manifest.model.outputs === 'logits' ? tf.softmax(y) : y;
    });
    try {
      // A copy: the backend may own (and reuse) the array data() returns.
      return new Float32Array(await out.data());
    } finally {
      out.dispose();
    }
  }

  dispose(): void {
    this.model?.dispose();
    this.model = undefined;
  }
}
