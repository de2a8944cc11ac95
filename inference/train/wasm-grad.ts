import { tf } from '../runtime/tf.js';

type Info = { dataId: object; shape: number[]; dtype: string };

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so it cannot train a CNN. A 2-D
 * convolution's filter gradient is the 3-D one with depth 1, which wasm does have: this
 * registers the 2-D kernel on top of it. Only stride 1 is supported (the wasm 3-D kernel
 * gives wrong results for larger strides); the demo model downsamples with pooling instead.
 */
export function registerWasmConv2DBackpropFilter(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  const conv3d = tf.getKernel('Conv3DBackpropFilterV2', 'wasm');
  if (!conv3d) throw new Error('the wasm backend has no Conv3DBackpropFilterV2 kernel to build on');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = inputs.x as Info;
      const dy = inputs.dy as Info;
      const a = attrs as unknown as {
        strides: number | [number, number];
        pad: 'same' | 'valid';
        filterShape: [number, number, number, number];
      };
      const [sh, sw] = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
      if (sh !== 1 || sw !== 1 || typeof a.pad !== 'string') {
        throw new Error('wasm Conv2DBackpropFilter: only stride 1 with same/valid padding is supported');
      }
      const [b, h, w, c] = x.shape as [number, number, number, number];
      const [, oh, ow, oc] = dy.shape as [number, number, number, number];
      const out = conv3d.kernelFunc({
        // biome-ignore lint/suspicious/noExplicitAny: kernel inputs are untyped TensorInfo records
        inputs: { x: { ...x, shape: [b, 1, h, w, c] }, dy: { ...dy, shape: [b, 1, oh, ow, oc] } } as any,
        backend,
        // biome-ignore lint/suspicious/noExplicitAny: kernel attrs are untyped
        attrs: { strides: [1, 1, 1], pad: a.pad, filterShape: [1, ...a.filterShape] } as any,
      }) as Info;
      // Same buffer, 4-D view: [1, fh, fw, ic, oc] → [fh, fw, ic, oc].
      return { ...out, shape: a.filterShape } as unknown as ReturnType<typeof conv3d.kernelFunc>;
    },
  });
}
