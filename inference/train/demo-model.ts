import { tf } from '../runtime/tf.js';

/**
 * The demo CNN: average-pool the 128×128 frame to 32×32 (colour and layout carry most of
 * the signal), three 3×3 conv blocks, global average pooling, a small dense head. About 42k
 * parameters: ~1 ms per frame on wasm.
 */
export function buildDemoModel(inputSize: number, classes: number, seed: number): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
  const m = tf.sequential();
  m.add(tf.layers.averagePooling2d({ inputShape: [inputSize, inputSize, 3], poolSize: 4, strides: 4 }));
  m.add(
    tf.layers.conv2d({
      filters: 24,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(1),
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(
    tf.layers.conv2d({
      filters: 48,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(2),
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(
    tf.layers.conv2d({
      filters: 64,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(3),
    }),
  );
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ units: 48, activation: 'relu', kernelInitializer: init(4) }));
  m.add(tf.layers.dropout({ rate: 0.2, seed: seed + 5 }));
  m.add(tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: init(6) }));
  return m;
}
