// Loading our own wasm kernels (kernels/*.ts, AssemblyScript, built by `npm run build:kernels`) and
// giving them memory. The modules import their memory and have no static data, so one binary runs
// two ways:
//   - on the wasm backend's own heap (`onHeap`): tensors are read and written where tfjs keeps them,
//     scratch comes from its allocator — no copies in or out;
//   - on a memory of their own (`ownModule`), for plain Float32Arrays (tests, direct use).
// Either way the kernel sees an Arena: a way to get scratch and a view of the bytes.
//
// Every kernel comes in two builds of one source: `x.relaxed.wasm` (relaxed SIMD: f32x4.relaxed_madd,
// a fused multiply-add on x86 with FMA) and `x.wasm` (plain SIMD, a multiply and an add), the
// fallback. Which one runs is decided once, at load time, by feature detection (relaxedSimdSupported:
// WebAssembly.validate of a tiny relaxed module, after turning the feature on in Node 20, where it is
// behind a V8 flag); PIXELSTREAMS_KERNELS=simd forces the fallback, and useKernelBuild switches
// builds in-process (tests and A/B benches).

import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import type { tf } from '../tf.js';

// WebAssembly's types live in the DOM lib, which this Node project does not load.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
const { WebAssembly: wasmApi } = globalThis as unknown as {
  WebAssembly: {
    validate(bytes: Uint8Array): boolean;
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

export type KernelBuild = 'relaxed-simd' | 'simd';

/**
 * () → v128 returning f32x4.relaxed_madd of three constants: valid exactly where relaxed SIMD is.
 * `opcode` is the instruction's LEB128 after the 0xfd prefix (relaxed_madd 0x105; tests pass others).
 */
export const relaxedProbe = (opcode: readonly number[] = [0x85, 0x02]): Uint8Array => {
  const constant = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
  const body = [0x00, ...constant, ...constant, ...constant, 0xfd, ...opcode, 0x0b];
  const code = [0x01, body.length, ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // \0asm, version 1
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, //       types: () → v128
    0x03, 0x02, 0x01, 0x00, //                         one function of type 0
    0x0a, code.length, ...code, //                     its code
  ]);
};

let relaxed: boolean | null = null;

/** Whether this engine runs relaxed SIMD (Node 20: after enabling its V8 flag, which this does once). */
export const relaxedSimdSupported = (): boolean => {
  if (relaxed === null) {
    try {
      // Node 20 (V8 11.3) has relaxed SIMD behind a flag; it must be set before the module is compiled.
      setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // not Node, or flags locked: the probe below decides
    }
    relaxed = wasmApi.validate(relaxedProbe());
  }
  return relaxed;
};

let active: KernelBuild | null = null;

/** The build the kernels run: relaxed SIMD where supported, unless PIXELSTREAMS_KERNELS=simd. */
export const kernelBuild = (): KernelBuild => {
  if (active === null) {
    const wanted = process.env['PIXELSTREAMS_KERNELS'];
    if (wanted !== undefined && wanted !== 'simd' && wanted !== 'relaxed-simd')
      throw new Error(`PIXELSTREAMS_KERNELS: expected 'simd' or 'relaxed-simd', found '${wanted}'`);
    active = wanted === 'simd' ? 'simd' : relaxedSimdSupported() ? 'relaxed-simd' : 'simd';
    if (wanted === 'relaxed-simd' && active !== wanted) throw new Error('PIXELSTREAMS_KERNELS=relaxed-simd: this engine has no relaxed SIMD');
  }
  return active;
};

/** Switch builds from now on (tests, A/B benches); kernels already instantiated stay cached per build. */
export const useKernelBuild = (build: KernelBuild): void => {
  if (build === 'relaxed-simd' && !relaxedSimdSupported()) throw new Error('useKernelBuild: this engine has no relaxed SIMD');
  active = build;
};

/** The binary of `file` ('causalConv.wasm') for a build: 'causalConv.relaxed.wasm' for relaxed SIMD. */
export const buildFile = (file: string, build: KernelBuild): string => (build === 'simd' ? file : file.replace(/\.wasm$/, '.relaxed.wasm'));

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

/** A bump arena over `memory` from byte `start` (64-byte aligned blocks), growing the memory as needed. */
const bumpArena = (memory: WasmMemory, start: number): Arena => {
  let end = start;
  return {
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
};

/**
 * The module on a memory of its own, and a bump arena over it that starts afresh on every call
 * (`fresh()`): for kernels called on plain arrays, whose inputs are copied in and results copied out.
 */
export const ownModule = <F extends string>(file: string): (() => { module: KernelModule<F>; arena: Arena }) => {
  const states = new Map<KernelBuild, { module: KernelModule<F>; memory: WasmMemory }>();
  return () => {
    const build = kernelBuild();
    let state = states.get(build);
    if (!state) {
      const memory = new wasmApi.Memory({ initial: 1 });
      state = { module: instantiate<F>(buildFile(file, build), memory), memory };
      states.set(build, state);
    }
    return { module: state.module, arena: bumpArena(state.memory, 64) };
  };
};

/**
 * Modules (the build chosen now) on one fresh memory that belongs to the caller alone, and an arena
 * over it that never starts afresh: for state that lives in wasm memory between calls (a cached
 * sampler's maps and weights), worked on by the functions of several kernel files. Nothing else
 * writes there; the memory is freed with the last reference.
 */
export const privateModules = <F extends string>(files: readonly string[]): { modules: KernelModule<F>[]; arena: Arena; build: KernelBuild } => {
  const build = kernelBuild();
  const memory = new wasmApi.Memory({ initial: 1 });
  return { modules: files.map((f) => instantiate<F>(buildFile(f, build), memory)), arena: bumpArena(memory, 64), build };
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
export const onHeap = <F extends string>(name: string, heap: WasmHeap, call: (module: KernelModule<F>, arena: Arena) => void): void => {
  const file = buildFile(name, kernelBuild());
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

/**
 * A float32 output on the backend's heap, or the error backend.ts explains as out of memory. tfjs-wasm
 * does not check its own allocation: a failed malloc gives offset 0, and a size of 4 GiB or more
 * wraps around — either way a kernel would write outside its tensor.
 */
export const heapOutput = (heap: WasmHeap, shape: number[], what: string): tf.TensorInfo => {
  const bytes = shape.reduce((a, b) => a * b, 1) * 4;
  if (bytes >= 2 ** 32) throw new Error(`${what}: the wasm heap could not provide ${bytes} bytes (one 32-bit memory)`);
  const out = heap.makeOutput(shape, 'float32');
  if (bytes > 0 && heap.getMemoryOffset(out.dataId) === 0) throw new Error(`${what}: the wasm heap could not provide ${bytes} bytes`);
  return out;
};

/** Where a tensor's values start in the backend's heap (bytes). */
export const pointer = (heap: WasmHeap, t: tf.TensorInfo): number => heap.getMemoryOffset(t.dataId);
