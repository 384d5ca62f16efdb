// Dropout in PixelCNN++'s blocks: only in training (ForwardOptions.training), the same masks for the
// same (seed, step, image position), other masks for another step, and per image — so a batch split
// into shards (2 workers) draws the masks one process would.
import { describe, expect, it } from 'vitest';
import { tf, type NamedTensors, type Tensor4D } from '../../tf.js';
import { lossAndGradients, trainingOptions } from '../../train/step.js';
import { familyOf, presetOrThrow } from '../registry.js';
import { imageMask, maskKey } from './dropout.js';
import type { PixelCnnPpSpec } from './spec.js';

const spec = (dropout: number): PixelCnnPpSpec =>
  ({ ...(presetOrThrow('pixelcnn++', 'tiny')({ height: 4, width: 4, channels: 3, levels: 16 }) as PixelCnnPpSpec), dropout });

const read = (t: tf.Tensor): Float32Array => {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
};

const setup = (s: PixelCnnPpSpec) => {
  const params = familyOf(s).init(s, 2);
  const x = tf.tidy(() => tf.floor(tf.randomUniform([3, 4, 4, 3], 0, 15.99, 'float32', 8))) as Tensor4D;
  return { params, x, forward: (o: object) => read(familyOf(s).forward(s, params, x, { convImpl: 'gather', ...o })) };
};
const dispose = (p: NamedTensors, x: tf.Tensor) => tf.dispose([x, ...Object.values(p)]);
const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => v === b[i]);

describe('PixelCNN++ dropout', () => {
  it('changes the forward pass only when training, the same way for the same (seed, step), another way for another step', () => {
    const { params, x, forward } = setup(spec(0.5));
    const before = tf.memory().numTensors;
    const evaluation = forward({});
    expect(same(forward({}), evaluation)).toBe(true);
    const t1 = forward({ training: { seed: 0, step: 1, first: 0 } });
    expect(same(t1, evaluation)).toBe(false);
    expect(same(forward({ training: { seed: 0, step: 1, first: 0 } }), t1)).toBe(true);
    expect(same(forward({ training: { seed: 0, step: 2, first: 0 } }), t1)).toBe(false);
    expect(same(forward({ training: { seed: 7, step: 1, first: 0 } }), t1)).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    dispose(params, x);
  });

  it('negative control: with dropout 0, training and evaluation are the same pass', () => {
    const { params, x, forward } = setup(spec(0));
    expect(same(forward({ training: { seed: 0, step: 1, first: 0 } }), forward({}))).toBe(true);
    dispose(params, x);
  });

  it('masks are per image: the shard starting at image 1 draws what the whole batch draws for its images', () => {
    const s = spec(0.5);
    const { params, x } = setup(s);
    const whole = read(familyOf(s).forward(s, params, x, { convImpl: 'gather', training: { seed: 3, step: 5, first: 0 } })); // [3, …]
    const tail = tf.slice(x, [1, 0, 0, 0], [2, 4, 4, 3]) as Tensor4D;
    const shard = read(familyOf(s).forward(s, params, tail, { convImpl: 'gather', training: { seed: 3, step: 5, first: 1 } }));
    const per = whole.length / 3;
    expect(same(shard, whole.slice(per))).toBe(true);
    const misplaced = read(familyOf(s).forward(s, params, tail, { convImpl: 'gather', training: { seed: 3, step: 5, first: 0 } }));
    expect(same(misplaced, whole.slice(per))).toBe(false);
    // and so the gradient of a batch is the weighted sum of its shards' (2 workers), up to float sums
    const full = lossAndGradients(s, params, x, trainingOptions({ convImpl: 'gather' }, 5));
    const head = tf.slice(x, [0, 0, 0, 0], [1, 4, 4, 3]) as Tensor4D;
    const a = lossAndGradients(s, params, head, trainingOptions({ convImpl: 'gather' }, 5, 0));
    const b = lossAndGradients(s, params, tail, trainingOptions({ convImpl: 'gather' }, 5, 1));
    const lossFull = read(full.loss)[0]!;
    const lossShards = (read(a.loss)[0]! + 2 * read(b.loss)[0]!) / 3;
    expect(Math.abs(lossFull - lossShards)).toBeLessThan(1e-4 * Math.abs(lossFull));
    let worst = 0;
    for (const k of Object.keys(full.grads)) {
      const [g, ga, gb] = [read(full.grads[k]!), read(a.grads[k]!), read(b.grads[k]!)];
      for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - (ga[i]! + 2 * gb[i]!) / 3));
    }
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([tail, head]);
    dispose(params, x);
  });

  it('a mask drops about p of its values and scales the rest by 1/(1−p); keys differ by seed, step, image and layer', () => {
    const m = imageMask(maskKey(1, 2, 3, 4), 20000, 0.3);
    const kept = m.filter((v) => v > 0);
    expect(Math.abs(kept.length / m.length - 0.7)).toBeLessThan(0.02);
    expect(kept.every((v) => Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
    const keys = new Set([maskKey(1, 2, 3, 4), maskKey(2, 2, 3, 4), maskKey(1, 3, 3, 4), maskKey(1, 2, 4, 4), maskKey(1, 2, 3, 5)]);
    expect(keys.size).toBe(5);
  });
});
