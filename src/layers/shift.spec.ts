// PixelCNN++'s shifted convolutions (src/layers/shift.ts): the gather path (our wasm kernels where
// the widths fit, strided = subsampled, transposed = over the zero-spread map) against the dense
// openai/pixel-cnn formulation (pad + conv2d 'valid', conv2dTranspose 'valid' + crop) with tfjs's
// own gradients on the cpu backend: values and gradients to 1e-4 (Winograd's rounding on the 2×3 layers). And the shifts themselves.
import { afterAll, describe, expect, it } from 'vitest';
import { causalConvKernels } from '../kernels/causalConv.js';
import { Rng } from '../rng.js';
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../tf.js';
import { downShift, rightShift, shiftedConv, strideSide, type ShiftedConvSpec } from './shift.js';

interface Result {
  readonly y: Float32Array;
  readonly dx: Float32Array;
  readonly dw: Float32Array;
  readonly db: Float32Array;
  readonly shape: number[];
}

const run = (impl: 'gather' | 'dense', s: ShiftedConvSpec, [h, w]: [number, number], seed: number): Result => {
  const rng = Rng.fromSeed(seed, 3);
  const bsz = 2;
  const rows = s.kh * s.kw * s.inFeatures;
  const x = tf.tensor4d(Float32Array.from({ length: bsz * h * w * s.inFeatures }, () => rng.normal()), [bsz, h, w, s.inFeatures]);
  const wt = tf.tensor2d(Float32Array.from({ length: rows * s.outFeatures }, () => rng.normal() / Math.sqrt(rows)), [rows, s.outFeatures]);
  const b = tf.tensor1d(Float32Array.from({ length: s.outFeatures }, () => 0.1 + rng.uniform()));
  // the transposed conv's output: the finer map, cropped to an odd size when asked
  const out = s.stride === -2 ? { h: 2 * h - (seed % 2), w: 2 * w - 1 } : undefined;
  const oh = out ? out.h : strideSide(s.stride, h);
  const ow = out ? out.w : strideSide(s.stride, w);
  const g = tf.tensor4d(Float32Array.from({ length: bsz * oh * ow * s.outFeatures }, () => rng.normal()), [bsz, oh, ow, s.outFeatures]);
  const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(shiftedConv(impl, s, xx as Tensor4D, ww as Tensor2D, bb as Tensor1D, { out }), g));
  const y = tf.tidy(() => shiftedConv(impl, s, x, wt, b, { out }));
  const { value, grads } = tf.valueAndGrads(f)([x, wt, b]);
  const r = { y: y.dataSync() as Float32Array, shape: y.shape, dx: grads[0]!.dataSync() as Float32Array, dw: grads[1]!.dataSync() as Float32Array, db: grads[2]!.dataSync() as Float32Array };
  tf.dispose([x, wt, b, g, y, value, ...grads]);
  return r;
};

const onBackend = async <T>(name: string, f: () => T): Promise<T> => {
  const before = tf.getBackend();
  await tf.setBackend(name);
  try {
    return f();
  } finally {
    await tf.setBackend(before);
  }
};

const close = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  // 1e-4: the 2×3-rectangle layers on wasm go through Winograd F(4, 3) (src/kernels/winograd.ts), whose
  // transforms round more than a direct sum (3e-5 seen); a wrong tap or mask is off by 1e-1 and more
  expect(worst).toBeLessThan(1e-4);
};

const conv = (kind: ShiftedConvSpec['kind'], kh: number, kw: number, stride: ShiftedConvSpec['stride'], inF: number, outF: number): ShiftedConvSpec => ({
  name: 'c', kind, kh, kw, stride, inFeatures: inF, outFeatures: outF,
});

// PixelCNN++'s convs: 2×3 down and 2×2 down-right in the blocks (2F → F, 2F → 2F), stride 2 and
// transposed between resolutions, and the first layers (1×3 down, 2×1 down-right) over C+1 inputs;
// widths in sixteens run on our kernels (forward, input and weight gradients), the others on the
// fallback conv2d.
const cases: ShiftedConvSpec[] = [];
for (const stride of [1, 2, -2] as const)
  for (const [inF, outF] of [[32, 16], [32, 32], [6, 5]] as const) {
    cases.push(conv('down', 2, 3, stride, inF, outF), conv('downRight', 2, 2, stride, inF, outF));
  }
cases.push(conv('down', 1, 3, 1, 4, 16), conv('downRight', 2, 1, 1, 4, 16), conv('down', 2, 3, 1, 2, 16));

describe('shifted convs: gather path = dense openai formulation', () => {
  afterAll(async () => {
    await tf.setBackend('wasm');
  });
  it('the block widths run on our wasm kernels (the test below covers that path)', () => {
    expect(tf.getBackend()).toBe('wasm');
    const k = causalConvKernels(32, 16);
    expect(k.forward && k.inputGrad && k.weightGrad).toBe(true);
  });
  it.each(cases.map((c) => [c.kind, c.kh, c.kw, c.stride, c.inFeatures, c.outFeatures, c] as const))(
    '%s %i×%i stride %i, %i → %i: values and gradients',
    async (_k, _h, _w, _s, _i, _o, s) => {
      for (const [size, seed] of [[[5, 6], 1], [[4, 4], 2], [[1, 3], 3]] as const) {
        const before = tf.memory().numTensors;
        const gather = run('gather', s, [...size] as [number, number], seed);
        expect(tf.memory().numTensors).toBe(before);
        const dense = await onBackend('cpu', () => run('dense', s, [...size] as [number, number], seed));
        expect(gather.shape).toEqual(dense.shape);
        close(gather.y, dense.y);
        close(gather.dx, dense.dx);
        close(gather.dw, dense.dw);
        close(gather.db, dense.db);
      }
    },
  );

  it('negative control: the transposed conv without the flip of its kernel does not agree', async () => {
    // the gather kernel read unflipped as a conv2dTranspose filter is another conv: the test above can tell
    const s = conv('down', 2, 3, -2, 6, 5);
    const gather = run('gather', s, [3, 3], 1);
    const unflipped = await onBackend('cpu', () =>
      tf.tidy(() => {
        const rng = Rng.fromSeed(1, 3);
        const x = tf.tensor4d(Float32Array.from({ length: 2 * 9 * 6 }, () => rng.normal()), [2, 3, 3, 6]);
        const wt = tf.tensor2d(Float32Array.from({ length: 36 * 5 }, () => rng.normal() / 6), [36, 5]);
        const b = tf.tensor1d(Float32Array.from({ length: 5 }, () => 0.1 + rng.uniform()));
        const filter = tf.transpose(tf.reshape(wt, [2, 3, 6, 5]), [0, 1, 3, 2]) as tf.Tensor4D;
        const full = tf.conv2dTranspose(x, filter, [2, 7, 8, 5], 2, 'valid');
        return tf.add(tf.slice(full, [0, 0, 1, 0], [2, 5, 5, 5]), b).dataSync() as Float32Array;
      }),
    );
    let worst = 0;
    for (let i = 0; i < unflipped.length; i++) worst = Math.max(worst, Math.abs(unflipped[i]! - gather.y[i]!));
    expect(worst).toBeGreaterThan(1e-2);
  });
});

describe('shifts', () => {
  it('downShift moves every row one down (zeros in row 0); rightShift every column one right', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    const before = tf.memory().numTensors;
    const d = downShift(x);
    const r = rightShift(x);
    expect(Array.from(d.dataSync())).toEqual([0, 0, 0, 1, 2, 3]);
    expect(Array.from(r.dataSync())).toEqual([0, 1, 2, 0, 4, 5]);
    tf.dispose([d, r]);
    expect(tf.memory().numTensors).toBe(before);
    const one = tf.tensor4d([7], [1, 1, 1, 1]);
    expect(Array.from(downShift(one).dataSync())).toEqual([0]);
    expect(Array.from(rightShift(one).dataSync())).toEqual([0]);
    tf.dispose([x, one]);
  });

  it('a down conv never reads a row below its output, a down-right conv never a column right of it', () => {
    // one input pixel set, every output that moves is at or below it (and, down-right, at or right of it)
    for (const s of [conv('down', 2, 3, 1, 1, 1), conv('downRight', 2, 2, 1, 1, 1), conv('down', 2, 3, 2, 1, 1), conv('downRight', 2, 2, -2, 1, 1)])
      for (let p = 0; p < 16; p++) {
        const xs = new Float32Array(16);
        xs[p] = 1;
        const y = tf.tidy(() => shiftedConv('gather', s, tf.tensor4d(xs, [1, 4, 4, 1]), tf.ones([s.kh * s.kw, 1]) as Tensor2D, tf.zeros([1]) as Tensor1D).dataSync());
        const side = strideSide(s.stride, 4);
        const scale = s.stride === 2 ? 2 : s.stride === -2 ? 0.5 : 1; // output (i, j) sits at input (i·scale, j·scale)
        for (let o = 0; o < y.length; o++)
          if (y[o] !== 0) {
            const [i, j] = [Math.floor(o / side) * scale, (o % side) * scale];
            const [pi, pj] = [Math.floor(p / 4), p % 4];
            expect(i >= pi - (s.stride === -2 ? 0.5 : 0)).toBe(true);
            if (s.kind === 'downRight' && i < pi + 1) expect(j >= pj - (s.stride === -2 ? 0.5 : 0)).toBe(true);
          }
      }
  });
});
