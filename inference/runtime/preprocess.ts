import type { ModelManifest } from '../manifest.js';
import type { tf as TfNs } from './tf.js';

type Tf = typeof TfNs;

/**
 * Turns a batch of packed RGB bytes [n, h, w, 3] into the model's input: resized to the
 * manifest size when the analysis size differs, colour order, normalisation and layout.
 * Shared by the worker and the training script so training sees exactly what inference does.
 */
export function preprocess(tf: Tf, rgb: TfNs.Tensor4D, input: ModelManifest['input']): TfNs.Tensor4D {
  return tf.tidy(() => {
    let x = rgb.toFloat() as TfNs.Tensor4D;
    if (x.shape[1] !== input.height || x.shape[2] !== input.width) {
      x = tf.image.resizeBilinear(x, [input.height, input.width]);
    }
    if (input.colorOrder === 'BGR') x = tf.reverse(x, 3);
    const { scale, mean, std } = input.normalization;
    x = x.mul(scale).sub(tf.tensor1d(mean)).div(tf.tensor1d(std)) as TfNs.Tensor4D;
    if (input.layout === 'NCHW') x = x.transpose([0, 3, 1, 2]) as TfNs.Tensor4D;
    return x;
  });
}
