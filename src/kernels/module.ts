// Loading our own wasm kernels (kernels/*.ts, AssemblyScript, built by `npm run build:kernels`) and
// giving them memory. The modules import their memory and have no static data, so one binary runs
// two ways:
//   - on the wasm backend's own heap (`onHeap`): tensors are read and written where tfjs keeps them,
//     scratch comes from its allocator — no copies in or out;
//   - on a memory of their own (`ownModule`), for plain Float32Arrays (tests, direct use).
// Either way the kernel sees an Arena: a way to get scratch and a view of the bytes.

import { readFileSync } from 'node:fs';
import type { tf } from '../tf.js';

// WebAssembly's types live in the DOM lib, which this Node project does not load.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
const { WebAssembly: wasmApi } = globalThis as unknown as {
  WebAssembly: {
    Module: new (bytes: Uint8Array) => object;
    Instance: new (module: object, imports: object) => { exports: unknown };
    Memory: new (descriptor: { initial: number }) => WasmMemory;
  };
};

/** A kernel module's functions of numbers (pointers and sizes). */
export type KernelModule<F extends string> = Record<F, (...args: number[]) => void>;

/** Where a kernel call gets scratch, and its view of the memory (take views after allocating). */
export interface Arena {
  alloc(bytes: number): number;
  readonly f32: () => Float32Array;
  readonly i32: () => Int32Array;
}

const compiled = new Map<string, object>();
const compile = (file: string): object => {
  let m = compiled.get(file);
  if (!m) {
    m = new wasmApi.Module(readFileSync(new URL(`./${file}`, import.meta.url)));
    compiled.set(file, m);
  }
  return m;
};

const instantiate = <F extends string>(file: string, memory: WasmMemory): KernelModule<F> =>
  new wasmApi.Instance(compile(file), { env: { memory } }).exports as KernelModule<F>;

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

/**
 * The module on a memory of its own, and a bump arena over it that starts afresh on every call
 * (`fresh()`): for kernels called on plain arrays, whose inputs are copied in and results copied out.
 */
export const ownModule = <F extends string>(file: string): (() => { module: KernelModule<F>; arena: Arena }) => {
  let state: { module: KernelModule<F>; memory: WasmMemory } | null = null;
  return () => {
    if (!state) {
      const memory = new wasmApi.Memory({ initial: 1 });
      state = { module: instantiate<F>(file, memory), memory };
    }
    const { memory } = state;
    let end = 64;
    const arena: Arena = {
      alloc: (bytes) => {
        const at = end;
        end = align(end + bytes);
        const missing = end - memory.buffer.byteLength;
        if (missing > 0) memory.grow(Math.ceil(missing / 65536));
        return at;
      },
      f32: () => new Float32Array(memory.buffer),
      i32: () => new Int32Array(memory.buffer),
    };
    return { module: state.module, arena };
  };
};

/** The wasm backend, as a kernel function sees it (BackendWasm and its emscripten module). */
export interface WasmHeap {
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  readonly wasm: {
    readonly asm: { readonly memory: WasmMemory };
    readonly HEAPU8: Uint8Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
}

const onHeaps = new Map<string, WeakMap<WasmMemory, KernelModule<string>>>();

/**
 * Runs `call` with the module instantiated on the backend's own memory (once per backend) and an
 * arena whose scratch comes from the backend's allocator; the scratch is freed when `call` returns
 * or throws.
 */
export const onHeap = <F extends string>(file: string, heap: WasmHeap, call: (module: KernelModule<F>, arena: Arena) => void): void => {
  const memory = heap.wasm.asm.memory;
  let byMemory = onHeaps.get(file);
  if (!byMemory) onHeaps.set(file, (byMemory = new WeakMap()));
  let module = byMemory.get(memory) as KernelModule<F> | undefined;
  if (!module) byMemory.set(memory, (module = instantiate<F>(file, memory)));
  const taken: number[] = [];
  const arena: Arena = {
    alloc: (bytes) => {
      const at = heap.wasm._malloc(bytes) >>> 0;
      if (at === 0) throw new Error(`${file}: the wasm heap could not provide ${bytes} bytes`);
      taken.push(at);
      return at;
    },
    f32: () => new Float32Array(heap.wasm.HEAPU8.buffer),
    i32: () => new Int32Array(heap.wasm.HEAPU8.buffer),
  };
  try {
    call(module, arena);
  } finally {
    for (const p of taken) heap.wasm._free(p);
  }
};

/** Where a tensor's values start in the backend's heap (bytes). */
export const pointer = (heap: WasmHeap, t: tf.TensorInfo): number => heap.getMemoryOffset(t.dataId);
