import { describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../tf.js';
import { mirror, shiftDown, shiftRight, skew, skewReverse, unskew, unskewReverse } from './skew.js';

const map = (b: number, h: number, w: number, c: number): Tensor4D =>
  tf.tensor4d(Float32Array.from({ length: b * h * w * c }, (_, i) => i + 1), [b, h, w, c]);

describe('skew', () => {
  it('shifts row r right by r and pads with zeros (the paper\'s Figure 3)', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const s = skew(x);
    expect(s.shape).toEqual([1, 3, 5, 1]);
    expect(Array.from(s.dataSync())).toEqual([1, 2, 3, 0, 0, 0, 4, 5, 6, 0, 0, 0, 7, 8, 9]);
    tf.dispose([x, s]);
  });

  it('works for rectangular maps, batches and features: cell (r, j + r) holds pixel (r, j)', () => {
    const [b, h, w, c] = [2, 3, 5, 2];
    const x = map(b, h, w, c);
    const s = skew(x);
    expect(s.shape).toEqual([b, h, w + h - 1, c]);
    const xs = x.arraySync() as number[][][][];
    const ss = s.arraySync() as number[][][][];
    for (let n = 0; n < b; n++)
      for (let r = 0; r < h; r++)
        for (let col = 0; col < w + h - 1; col++)
          for (let k = 0; k < c; k++) {
            const j = col - r;
            expect(ss[n]![r]![col]![k]).toBe(j >= 0 && j < w ? xs[n]![r]![j]![k] : 0);
          }
    tf.dispose([x, s]);
  });

  it('unskew(skew(x)) is x for every shape tried', () => {
    for (const [h, w] of [[1, 1], [1, 4], [4, 1], [3, 3], [4, 6], [7, 2]] as const) {
      const x = map(2, h, w, 3);
      const back = tf.tidy(() => unskew(skew(x), w));
      expect(back.shape).toEqual(x.shape);
      expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
      tf.dispose([x, back]);
    }
  });

  it('unskew rejects a map of the wrong width', () => {
    const s = tf.zeros([1, 3, 4, 1]) as Tensor4D;
    expect(() => unskew(s, 3)).toThrow(/expected 5 columns for width 3, found 4/);
    s.dispose();
  });

  it('has gradients (pad/reshape/slice only): d Σ skew(x)·v / dx is v unskewed', () => {
    const x = map(1, 3, 4, 1);
    const v = tf.randomNormal([1, 3, 6, 1]) as Tensor4D;
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(skew(t as Tensor4D), v)))(x);
    const expected = unskew(v, 4);
    expect(Array.from(g.dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([x, v, g, expected]);
  });

  it('leaks no tensors', () => {
    const x = map(1, 4, 4, 2);
    const before = tf.memory().numTensors;
    tf.dispose(tf.tidy(() => unskew(skew(x), 4)));
    tf.dispose([mirror(x), shiftDown(x), shiftRight(x)]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('shifts', () => {
  it('shiftDown moves row i to i+1 with a zero top row; shiftRight likewise for columns; mirror reverses columns', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    expect(Array.from(shiftDown(x).dataSync())).toEqual([0, 0, 0, 1, 2, 3]);
    expect(Array.from(shiftRight(x).dataSync())).toEqual([0, 1, 2, 0, 4, 5]);
    expect(Array.from(mirror(x).dataSync())).toEqual([3, 2, 1, 6, 5, 4]);
    x.dispose();
  });
});

describe('skewReverse', () => {
  it('is mirror ∘ skew ∘ mirror, and unskewReverse undoes it', () => {
    for (const [h, w] of [[1, 1], [1, 4], [4, 1], [3, 3], [4, 6], [7, 2]] as const) {
      const x = map(2, h, w, 3);
      const [s, ref, back] = tf.tidy(() => {
        const s = skewReverse(x);
        return [s, mirror(skew(mirror(x))), unskewReverse(s, w)];
      });
      expect(s.shape).toEqual([2, h, w + h - 1, 3]);
      expect(Array.from(s.dataSync())).toEqual(Array.from(ref.dataSync()));
      expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
      tf.dispose([x, s, ref, back]);
    }
  });

  it('unskewReverse rejects a map of the wrong width', () => {
    const s = tf.zeros([1, 3, 4, 1]) as Tensor4D;
    expect(() => unskewReverse(s, 3)).toThrow(/expected 5 columns for width 3, found 4/);
    s.dispose();
  });
});
