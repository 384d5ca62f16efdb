// Kernel overrides for the wasm backend.
//
// Identity: tfjs clones every tensor it saves for the backward pass (engine.saveTensorsForBackwardMode,
// customGrad's save) through the Identity kernel, and wasm's Identity copies the buffer — on the
// reference PixelCNN that is one full copy of every saved activation per step (≈ 2–3% of a step, and
// memory traffic that two workers on two cores share badly). Kernels never write into their inputs,
// so the clone can share the buffer by reference count, as wasm's own Reshape does.

import { tf } from './tf.js';

interface WasmBackendLike {
  incRef(dataId: object): void;
}

const sharedIdentity: tf.KernelFunc = ({ inputs, backend }) => {
  const x = inputs['x'] as tf.TensorInfo;
  (backend as unknown as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
};

let original: tf.KernelConfig | undefined;

/**
 * Wasm's Identity shares the buffer (on, the default once the wasm backend is selected) or copies
 * it (off: tfjs's own kernel, for A/B benchmarks). Idempotent; strings always take the copying kernel.
 */
export const setSharedIdentity = (on: boolean): void => {
  original ??= tf.getKernel('Identity', 'wasm');
  if (!original) return;
  const copying = original;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel(
    on
      ? {
          kernelName: 'Identity',
          backendName: 'wasm',
          kernelFunc: (args) => ((args.inputs['x'] as tf.TensorInfo).dtype === 'string' ? copying.kernelFunc(args) : sharedIdentity(args)),
        }
      : copying,
  );
};
