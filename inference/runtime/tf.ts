/**
 * The one TF.js import of the inference worker and the training script. PROD silences the
 * "install tfjs-node" banner (which would land on the CLI's stdout) and skips debug checks.
 */
import * as tf from '@tensorflow/tfjs';

tf.env().set('PROD', true);

export { tf };
export type Tf = typeof tf;
