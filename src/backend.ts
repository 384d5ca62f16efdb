// The backend ladder: tensorflow on a GPU (tfjs-node-gpu), tensorflow on the CPU (tfjs-node), wasm,
// then the pure-JS cpu backend. The first that loads wins unless a name is asked for, by option or
// by PIXELSTREAMS_BACKEND; a backend that was asked for and cannot load is an error, not a fallback.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as E from 'fp-ts/lib/Either.js';
import { tf } from './tf.js';
import { registerCausalConvKernels } from './kernels/causalConv.js';
import { registerLstmScanKernels } from './kernels/lstmScan.js';
import { setSharedCopies } from './backendOverrides.js';
import { registerCrossEntropyKernel } from './kernels/crossEntropy.js';

export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  readonly name: BackendName;
  /** tf.getBackend() once running: 'tensorflow', 'wasm' or 'cpu'. */
  readonly engine: string;
  readonly detail: string;
}

const require = createRequire(import.meta.url);

const loadTensorflow = async (gpu: boolean): Promise<BackendInfo> => {
  const pkg = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  try {
    require(pkg);
  } catch (e) {
    throw new Error(`${pkg} is not installed or its native library did not load (${(e as Error).message.split('\n')[0]})`);
  }
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but the tensorflow backend did not start`);
  if (gpu) {
    if (!hasNvidiaDevice()) throw new Error(`${pkg} loaded but sees no GPU (needs CUDA 11.2 and cuDNN 8.1)`);
  }
  return { name: gpu ? 'tensorflow-gpu' : 'tensorflow', engine: 'tensorflow', detail: pkg };
};

/** tfjs-node-gpu silently runs on the CPU when CUDA is missing; a visible NVIDIA device is our test. */
const hasNvidiaDevice = (): boolean => existsSync('/dev/nvidia0') || existsSync('/dev/dxg');

const loadWasm = async (): Promise<BackendInfo> => {
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as typeof import('@tensorflow/tfjs-backend-wasm');
  const dir = require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/\\]+$/, '');
  wasm.setWasmPaths(dir.endsWith('/') ? dir : `${dir}/`);
  wasm.setThreadsCount?.(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
  setSharedCopies(true); // clones and same-dtype casts share buffers instead of copying (backendOverrides.ts)
  registerCausalConvKernels(); // the masked conv in our own SIMD kernels (kernels/causalConv.ts)
  registerLstmScanKernels(); // the Row / Diagonal LSTM recurrence in one kernel call (kernels/lstmScan.ts)
  registerCrossEntropyKernel(); // the K-level softmax cross-entropy in one pass (kernels/crossEntropy.ts)
  return { name: 'wasm', engine: 'wasm', detail: 'single thread, SIMD' };
};

const loadCpu = async (): Promise<BackendInfo> => {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not start');
  return { name: 'cpu', engine: 'cpu', detail: 'pure JavaScript (slow: a last resort)' };
};

const loaders: Record<BackendName, () => Promise<BackendInfo>> = {
  'tensorflow-gpu': () => loadTensorflow(true),
  tensorflow: () => loadTensorflow(false),
  wasm: loadWasm,
  cpu: loadCpu,
};

export const isBackendName = (s: string): s is BackendName => (BACKENDS as readonly string[]).includes(s);

let current: BackendInfo | undefined;

/**
 * Start a backend. With a name (or PIXELSTREAMS_BACKEND) that one or an error; without, the first
 * rung of the ladder that loads. Idempotent for the same request.
 */
export const selectBackend = async (requested?: string): Promise<E.Either<Error, BackendInfo>> => {
  const wanted = requested ?? process.env.PIXELSTREAMS_BACKEND ?? 'auto';
  if (current && (wanted === 'auto' || wanted === current.name)) return E.right(current);
  if (wanted !== 'auto') {
    if (!isBackendName(wanted))
      return E.left(new Error(`backend: expected one of ${BACKENDS.join(', ')} or auto, found '${wanted}'`));
    try {
      current = await loaders[wanted]();
      return E.right(current);
    } catch (e) {
      return E.left(new Error(`backend '${wanted}' was requested but cannot load: ${(e as Error).message}`));
    }
  }
  const failures: string[] = [];
  for (const name of BACKENDS) {
    try {
      current = await loaders[name]();
      return E.right(current);
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message}`);
    }
  }
  return E.left(new Error(`no backend could load:\n  ${failures.join('\n  ')}`));
};

export const currentBackend = (): BackendInfo | undefined => current;

/** Bytes the wasm backend's heap has grown to, or null on another backend. */
const wasmHeapBytes = (): number | null => {
  try {
    const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
    return heap ? heap.buffer.byteLength : null;
  } catch {
    return null;
  }
};

/** The messages a wasm heap that cannot grow any further gives: emscripten's abort, our kernels' scratch. */
const outOfWasmMemory = /^Aborted\(|the wasm heap could not provide/;

/**
 * An error of a computation, explained where the engine's own message says nothing a user can act
 * on: the wasm backend's heap is one 32-bit memory (at most 4 GiB per thread), and running out of it
 * shows as "Aborted()". `what` names the computation (e.g. "step 3: gradients of 16 images").
 */
export const explainBackendError = (e: unknown, what: string): Error => {
  const message = e instanceof Error ? e.message : String(e);
  if (!outOfWasmMemory.test(message)) return e instanceof Error ? e : new Error(message);
  const heap = wasmHeapBytes();
  return new Error(
    `${what}: the wasm backend ran out of memory (${message.split('\n')[0]}); a backend's heap holds at most 4 GiB` +
      `${heap ? ` and this one had grown to ${Math.round(heap / 2 ** 20)} MiB` : ''}. ` +
      'Use a smaller --batch-size, more --workers (each worker has a heap of its own), a smaller model, or the tensorflow backend.',
  );
};
