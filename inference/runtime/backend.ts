import { join } from 'node:path';
import { ROOT } from '../../daemon/paths.js';
import { tf } from './tf.js';

export type BackendPreference = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = Exclude<BackendPreference, 'auto'>;

export const BACKEND_CHAIN: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  /** Why it was chosen or skipped, for the log. */
  reason: string;
}

export interface BackendChoice {
  backend: BackendName;
  /** The TF.js backend name actually registered (tensorflow, wasm, cpu). */
  tfBackend: string;
  attempts: BackendAttempt[];
}

export const WASM_DIR = join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + '/';

/**
 * Picks the fastest backend that works here: tfjs-node-gpu (CUDA) → tfjs-node (libtensorflow
 * on CPU) → wasm (SIMD) → plain JS cpu. A forced backend is tried first; if it cannot start,
 * the rest of the chain after it is tried, so the box keeps detecting phases.
 */
export async function selectBackend(preference: BackendPreference): Promise<BackendChoice> {
  const chain =
    preference === 'auto' ? BACKEND_CHAIN : BACKEND_CHAIN.slice(BACKEND_CHAIN.indexOf(preference));
  const attempts: BackendAttempt[] = [];
  for (const backend of chain) {
    const why = await tryBackend(backend);
    if (why === undefined) {
      const reason =
        attempts.length === 0
          ? preference === 'auto'
            ? 'first in the chain that works'
            : 'forced in config (inference.backend)'
          : `fallback: ${attempts.map((a) => a.backend).join(', ')} unavailable`;
      attempts.push({ backend, ok: true, reason });
      return { backend, tfBackend: tf.getBackend(), attempts };
    }
    attempts.push({ backend, ok: false, reason: why });
  }
  throw new Error(`no TF.js backend works: ${attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ')}`);
}

/** Returns undefined when the backend is now active, or the reason it is not. */
async function tryBackend(backend: BackendName): Promise<string | undefined> {
  try {
    switch (backend) {
      case 'tensorflow-gpu':
      case 'tensorflow': {
        const pkg = backend === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
        try {
          await import(pkg);
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          return e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND'
            ? `package ${pkg} is not installed`
            : `${pkg} failed to load: ${firstLine(e.message)}`;
        }
        if (!(await tf.setBackend('tensorflow'))) return `${pkg} loaded but its backend did not initialise`;
        return undefined;
      }
      case 'wasm': {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        wasm.setWasmPaths(WASM_DIR);
        if (!(await tf.setBackend('wasm'))) return 'the wasm backend did not initialise';
        return undefined;
      }
      case 'cpu':
        if (!(await tf.setBackend('cpu'))) return 'the cpu backend did not initialise';
        return undefined;
    }
  } catch (err) {
    return firstLine((err as Error).message);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 300);
}
