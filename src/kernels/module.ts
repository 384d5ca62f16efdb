// Loading our own wasm kernels (kernels/*.ts, AssemblyScript, built by `npm run build:kernels`) and
// laying out their arguments in the module's own memory, and the wasm backend's heap seen from a
// kernel function.

import { readFileSync } from 'node:fs';
import type { tf } from '../tf.js';

// WebAssembly's types live in the DOM lib, which this Node project does not load.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
const { WebAssembly: wasmApi } = globalThis as unknown as {
  WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => { exports: unknown } };
};

/** A kernel module's exports: its memory, where its own static data ends, and functions of numbers (pointers and sizes). */
export type KernelModule<F extends string> = { readonly memory: WasmMemory; dataEnd(): number } & Record<F, (...args: number[]) => void>;

/** Instantiates `file` (beside this module) once, on first use. */
export const lazyModule = <F extends string>(file: string): (() => KernelModule<F>) => {
  let instance: KernelModule<F> | null = null;
  return () => {
    if (instance) return instance;
    const bytes = readFileSync(new URL(`./${file}`, import.meta.url));
    instance = new wasmApi.Instance(new wasmApi.Module(bytes), {}).exports as KernelModule<F>;
    return instance;
  };
};

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

/**
 * Consecutive 64-byte-aligned blocks of these byte sizes after the module's static data (which must
 * not be overwritten: Mathf.exp reads its tables there); grows the memory to hold them.
 */
export const layout = <F extends string>(k: KernelModule<F>, sizes: readonly number[]): number[] => {
  const memory = k.memory;
  const at: number[] = [];
  let end = align(k.dataEnd());
  for (const s of sizes) {
    at.push(end);
    end = align(end + s);
  }
  const missing = end - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65536));
  return at;
};

/** The wasm backend, as a kernel function sees it. */
export interface WasmHeap {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/** A new wasm tensor holding a copy of `values` (read every heap view first: makeOutput may grow the heap). */
export const heapOutput = (heap: WasmHeap, shape: number[], values: Float32Array): tf.TensorInfo => {
  const info = heap.makeOutput(shape, 'float32');
  heap.typedArrayFromHeap(info).set(values);
  return info;
};
