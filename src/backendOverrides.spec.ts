// The buffer-sharing Identity on wasm: clones read the same values, either side can be disposed
// first, memory is flat, and a training step's loss and gradients are bitwise those of the copying kernel.
import { describe, expect, it, afterAll } from 'vitest';
import { familyOf, presets } from './models/registry.js';
import { tf } from './tf.js';
import { lossAndGradients } from './train/step.js';
import { setSharedCopies } from './backendOverrides.js';

const step = (): Float32Array[] => {
  const spec = presets.tiny!({ height: 5, width: 4, channels: 3, levels: 4 });
  const params = familyOf(spec).init(spec, 3);
  const x = tf.tensor4d(Array.from({ length: 2 * 5 * 4 * 3 }, (_, i) => (i * 7) % 4), [2, 5, 4, 3]);
  const { loss, grads } = lossAndGradients(spec, params, x, { convImpl: 'gather' });
  const out = [loss.dataSync() as Float32Array, ...Object.keys(grads).sort().map((k) => grads[k]!.dataSync() as Float32Array)];
  tf.dispose([x, loss, ...Object.values(grads), ...Object.values(params)]);
  return out;
};

describe('wasm Identity and same-dtype Cast share buffers', () => {
  afterAll(() => setSharedCopies(true));

  it('runs on the wasm backend; a clone adds no buffer with the sharing kernel and one with the copying kernel', () => {
    expect(tf.getBackend()).toBe('wasm');
    const buffers = () => tf.backend().numDataIds();
    const x = tf.tensor1d([1, 2, 3]);
    const before = buffers();
    const shared = tf.clone(x);
    expect(buffers()).toBe(before);
    setSharedCopies(false);
    const copied = tf.clone(x);
    setSharedCopies(true);
    expect(buffers()).toBe(before + 1);
    expect(Array.from(shared.dataSync())).toEqual([1, 2, 3]);
    tf.dispose([x, shared, copied]);
  });

  it('a clone keeps its values whichever side is disposed first; memory returns to the start', () => {
    const start = tf.memory();
    const startBuffers = tf.backend().numDataIds();
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const b = tf.clone(a);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3, 4]);
    const c = tf.clone(b);
    const d = tf.add(c, 1);
    c.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(d.dataSync())).toEqual([2, 3, 4, 5]);
    tf.dispose([b, d]);
    expect(tf.memory().numTensors).toBe(start.numTensors);
    expect(tf.backend().numDataIds()).toBe(startBuffers);
  });

  it('a same-dtype cast shares the buffer; a cast that changes the dtype converts', () => {
    const buffers = () => tf.backend().numDataIds();
    const x = tf.tensor1d([1.5, -2, 3]);
    const before = buffers();
    const same = tf.cast(x, 'float32');
    expect(buffers()).toBe(before);
    const ints = tf.cast(x, 'int32');
    expect(buffers()).toBe(before + 1);
    x.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2, 3]);
    expect(Array.from(ints.dataSync())).toEqual([1, -2, 3]);
    expect(ints.dtype).toBe('int32');
    tf.dispose([same, ints]);
    expect(buffers()).toBe(before - 1);
  });

  it('string tensors still clone', () => {
    const s = tf.tensor1d(['a', 'bc'], 'string');
    const t = tf.clone(s);
    s.dispose();
    expect(t.dataSync()).toEqual(['a', 'bc']);
    t.dispose();
  });

  it('a training step gives bitwise the same loss and gradients as the copying kernel, with flat tensor counts', () => {
    const before = tf.memory().numTensors;
    setSharedCopies(false);
    const copying = step();
    setSharedCopies(true);
    const sharing = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(sharing.length).toBe(copying.length);
    sharing.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(copying[i]!)));
  });
});
