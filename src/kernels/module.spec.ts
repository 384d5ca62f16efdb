// heapOutput: an output our kernels write only when tfjs-wasm really allocated it.
import { describe, expect, it } from 'vitest';
import { explainBackendError } from '../backend.js';
import { heapOutput, type WasmHeap } from './module.js';

/** A stand-in backend whose allocator answers `offset` for every output. */
const fakeHeap = (offset: number) => {
  const made: number[][] = [];
  const heap = {
    makeOutput: (shape: number[]) => (made.push(shape), { dataId: {}, shape, dtype: 'float32' }),
    getMemoryOffset: () => offset,
  } as unknown as WasmHeap;
  return { heap, made };
};

describe('heapOutput', () => {
  it('returns the output where the allocation succeeded', () => {
    const { heap, made } = fakeHeap(4096);
    expect(heapOutput(heap, [2, 3], 'k.wasm').shape).toEqual([2, 3]);
    expect(made).toEqual([[2, 3]]);
  });

  it('a failed malloc (offset 0) is the out-of-memory error backend.ts explains, naming the kernel and the bytes', () => {
    const { heap } = fakeHeap(0);
    const e = (() => {
      try {
        heapOutput(heap, [1024, 1024], 'causalConv.wasm');
      } catch (err) {
        return err as Error;
      }
      throw new Error('expected a throw');
    })();
    expect(e.message).toBe('causalConv.wasm: the wasm heap could not provide 4194304 bytes');
    expect(explainBackendError(e, 'gradients of 16 images').message).toMatch(/^gradients of 16 images: the wasm backend ran out of memory .*--batch-size/);
  });

  it('4 GiB or more is refused before tfjs is asked (its size would wrap around)', () => {
    const { heap, made } = fakeHeap(4096);
    expect(() => heapOutput(heap, [4096, 784, 1024], 'causalConv.wasm')).toThrow(/could not provide 13153337344 bytes \(one 32-bit memory\)/);
    expect(made).toEqual([]);
  });
});
