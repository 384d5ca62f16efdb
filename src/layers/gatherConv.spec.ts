// Tap-gather (causal conv2d over the allowed-tap rectangle, custom gradient) against the dense
// reference (conv2d with the masked kernel, autodiff on the cpu backend): values and gradients.
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { tf, type NamedTensors, type Tensor4D } from '../tf.js';
import { initMaskedConv, maskedConv, type ConvOptions, type MaskedConvSpec } from './maskedConv.js';

interface Result {
  readonly y: Float32Array;
  readonly dx: Float32Array;
  readonly dw: Float32Array;
  readonly db: Float32Array;
}

const run = (impl: 'gather' | 'dense', s: MaskedConvSpec, seed: number, options?: ConvOptions): Result => {
  const rng = Rng.fromSeed(seed, 7);
  const init = initMaskedConv(s, rng);
  const [bsz, h, w] = [2, 5, 6];
  const xs = new Float32Array(bsz * h * w * s.inFeatures).map(() => rng.normal());
  const upstream = new Float32Array(bsz * h * w * s.outFeatures).map(() => rng.normal());
  const x = tf.tensor4d(xs, [bsz, h, w, s.inFeatures]);
  const g = tf.tensor4d(upstream, [bsz, h, w, s.outFeatures]);
  const wName = `${s.name}.w`;
  const bName = `${s.name}.b`;
  // A bias that is not zero, so that its gradient and value both matter.
  const params: NamedTensors = { [wName]: init[wName]!, [bName]: tf.add(init[bName]!, 0.1) };
  const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
    tf.sum(tf.mul(maskedConv(impl)(s, { [wName]: ww, [bName]: bb }, xx as Tensor4D, options), g));
  const y = tf.tidy(() => maskedConv(impl)(s, params, x));
  const { value, grads } = tf.valueAndGrads(f)([x, params[wName]!, params[bName]!]);
  const out = { y: y.dataSync() as Float32Array, dx: grads[0]!.dataSync() as Float32Array, dw: grads[1]!.dataSync() as Float32Array, db: grads[2]!.dataSync() as Float32Array };
  tf.dispose([x, g, y, value, ...grads, ...Object.values(init), ...Object.values(params)]);
  return out;
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

const cases: [number, number, 'A' | 'B', number, number][] = [];
for (const type of ['A', 'B'] as const)
  for (const channels of [1, 3])
    for (const k of [1, 3, 5, 7]) cases.push([k, k, type, channels, channels === 1 ? 4 : 6]);
cases.push([1, 3, 'B', 3, 6], [1, 3, 'A', 1, 4], [3, 1, 'B', 1, 2]);
// Widths the wasm weight-gradient kernel takes (in even, out a multiple of 16): kernels/causalConv.ts.
cases.push([1, 1, 'B', 1, 16], [1, 1, 'B', 3, 48], [3, 3, 'B', 1, 16], [5, 5, 'A', 1, 32], [3, 3, 'B', 3, 48], [3, 3, 'A', 3, 48], [1, 3, 'B', 1, 16], [3, 1, 'A', 1, 16]);

const close = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  // 1e-4: the 2×3-rectangle layers on wasm go through Winograd F(4, 3) (src/kernels/winograd.ts), whose
  // transforms round more than a direct sum (3e-5 seen); a wrong tap or mask is off by 1e-1 and more
  expect(worst).toBeLessThan(1e-4);
};

describe('tap-gather masked conv agrees with dense conv2d', () => {
  afterAll(async () => {
    await tf.setBackend('wasm');
  });
  it.each(cases)('%i×%i mask %s, C=%i, %i features: values and gradients', async (kh, kw, type, channels, features) => {
    const s: MaskedConvSpec = { name: 'c', kh, kw, type, inFeatures: channels === 1 && kh === 7 ? 1 : features, outFeatures: features, channels };
    const before = tf.memory().numTensors;
    const gather = run('gather', s, kh * 31 + kw);
    expect(tf.memory().numTensors).toBe(before);
    const dense = await onBackend('cpu', () => run('dense', s, kh * 31 + kw));
    close(gather.y, dense.y);
    close(gather.dx, dense.dx);
    close(gather.dw, dense.dw);
    close(gather.db, dense.db);
  });

  it('skips the input gradient of a layer reading data, the other gradients unchanged', () => {
    const s: MaskedConvSpec = { name: 'c', kh: 7, kw: 7, type: 'A', inFeatures: 1, outFeatures: 4, channels: 1 };
    const full = run('gather', s, 11);
    const noInput = run('gather', s, 11, { inputGradient: false });
    close(noInput.y, full.y);
    close(noInput.dw, full.dw);
    close(noInput.db, full.db);
    expect(noInput.dx.every((v) => v === 0)).toBe(true);
    expect(full.dx.some((v) => v !== 0)).toBe(true);
  });

  it('the tap-gather path also runs on the cpu backend (same values and gradients)', async () => {
    const s: MaskedConvSpec = { name: 'c', kh: 3, kw: 3, type: 'B', inFeatures: 6, outFeatures: 6, channels: 3 };
    const onWasm = run('gather', s, 9);
    const onCpu = await onBackend('cpu', () => run('gather', s, 9));
    close(onWasm.y, onCpu.y);
    close(onWasm.dx, onCpu.dx);
    close(onWasm.dw, onCpu.dw);
    close(onWasm.db, onCpu.db);
  });

  it('a negative control is caught: mask A against mask B over the same weights differ', async () => {
    const a: MaskedConvSpec = { name: 'c', kh: 3, kw: 3, type: 'A', inFeatures: 6, outFeatures: 6, channels: 3 };
    const gather = run('gather', a, 5);
    const dense = await onBackend('cpu', () => run('dense', { ...a, type: 'B' }, 5));
    expect(gather.dw.length).toBe(dense.dw.length);
    expect(() => close(gather.y, dense.y)).toThrow();
  });
});
