// Kernel overrides for the wasm backend: copies that need not be made.
//
// Identity: tfjs clones every tensor it saves for the backward pass (engine.saveTensorsForBackwardMode,
// customGrad's save) through the Identity kernel, and wasm's Identity copies the buffer — on the
// reference PixelCNN one full copy of every saved activation per step.
// Cast to the same dtype: ReLU's gradient is dy · cast(step(x), 'float32'), and wasm's Cast copies
// even when the dtype does not change — one more activation-sized copy per ReLU per step.
// Kernels never write into their inputs, so both can share the buffer by reference count, as wasm's
// own Reshape does. Values are bitwise the same; what is saved is memory traffic (which two workers
// on two cores share badly) and peak memory.

import { tf } from './tf.js';

interface WasmBackendLike {
  incRef(dataId: object): void;
}

const share = (x: tf.TensorInfo, backend: unknown): tf.TensorInfo => {
  (backend as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
};

const originals = new Map<string, tf.KernelConfig>();

const swap = (kernelName: string, make: (copying: tf.KernelConfig) => tf.KernelConfig, on: boolean): void => {
  const copying = originals.get(kernelName) ?? tf.getKernel(kernelName, 'wasm');
  if (!copying) return;
  originals.set(kernelName, copying);
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel(on ? make(copying) : copying);
};

/**
 * Wasm's Identity and same-dtype Cast share the buffer (on: set once the wasm backend is selected,
 * backend.ts) or copy it (off: tfjs's own kernels, for A/B benchmarks). Idempotent. Strings, and
 * casts that change the dtype, always take the copying kernels.
 */
export const setSharedCopies = (on: boolean): void => {
  swap(
    'Identity',
    (copying) => ({
      kernelName: 'Identity',
      backendName: 'wasm',
      kernelFunc: (args) => {
        const x = args.inputs['x'] as tf.TensorInfo;
        return x.dtype === 'string' ? copying.kernelFunc(args) : share(x, args.backend);
      },
    }),
    on,
  );
  swap(
    'Cast',
    (copying) => ({
      kernelName: 'Cast',
      backendName: 'wasm',
      kernelFunc: (args) => {
        const x = args.inputs['x'] as tf.TensorInfo;
        const dtype = (args.attrs as { dtype?: string } | undefined)?.dtype;
        return x.dtype === dtype && x.dtype !== 'string' ? share(x, args.backend) : copying.kernelFunc(args);
      },
    }),
    on,
  );
};
