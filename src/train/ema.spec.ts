// Weight averaging: after n updates the average is the closed form of an exponential moving
// average over the parameters the optimizer produced — in the one-pass update (the one training
// uses on wasm) and in applyGradients — the warm-up gives θ₀ the weight it states, and no tensor leaks.
import { describe, expect, it } from 'vitest';
import { tf, type NamedTensors } from '../tf.js';
import { averageOf, emaDecayAt, emaSlot, emaUpdate, type EmaConfig } from './ema.js';
import { applyGradientsFlat } from './flatUpdate.js';
import { applyGradients, defaultOptimizer, initSlots, type OptimizerConfig } from './optimizers.js';
import { applyStep, disposeAll, initTrainState } from './step.js';
import { presets } from '../models/registry.js';

const lr = 0.01;
const grad = [1, -1, 2, -0.5];
const sign = grad.map(Math.sign);

/**
 * The toy: Adam from θ₀ = 0 with a constant gradient moves every weight by lr·sign(g) per update
 * (its bias-corrected m/√v is g/|g| up to ε), so θ_k = −k·lr·sign(g), and a plain EMA of decay d
 * over θ₁…θ_n from avg₀ = θ₀ = 0 is Σ_k (1 − d)·d^(n−k)·θ_k = −lr·sign(g)·(n − d(1 − dⁿ)/(1 − d)).
 */
const closedForm = (d: number, n: number): number[] => sign.map((s) => -lr * s * (n - (d * (1 - d ** n)) / (1 - d)));

type Updater = typeof applyGradientsFlat | typeof applyGradients;

const averageAfter = (ema: EmaConfig, n: number, update: Updater): number[] => {
  const config: OptimizerConfig = { ...defaultOptimizer('adam', lr), ema };
  let params: NamedTensors = { w: tf.tensor1d([0, 0, 0, 0]) };
  let slots = initSlots(config, params);
  for (let step = 1; step <= n; step++) {
    const grads = { w: tf.tensor1d(grad) };
    const next = update(config, params, slots, grads, step);
    disposeAll(params, slots, grads);
    params = next.params;
    slots = next.slots;
  }
  const out = Array.from(slots[emaSlot('w')]!.dataSync());
  disposeAll(params, slots);
  return out;
};

const near = (a: number[], b: number[], tol: number) => a.every((x, i) => Math.abs(x - b[i]!) <= tol);

describe('weight average (EMA)', () => {
  for (const [name, update] of [['the one-pass update', applyGradientsFlat], ['applyGradients', applyGradients]] as const)
    it(`after n steps equals the closed form on a toy (${name})`, () => {
      for (const [d, n] of [[0.9, 1], [0.9, 7], [0.5, 30], [0.9995, 40]] as const) {
        const got = averageAfter({ decay: d, warmup: false }, n, update);
        expect(near(got, closedForm(d, n), 1e-6), `d=${d} n=${n}: ${got} vs ${closedForm(d, n)}`).toBe(true);
      }
      // Negative controls: the closed form of another decay, or of one step fewer, is not matched.
      const got = averageAfter({ decay: 0.9, warmup: false }, 7, update);
      expect(near(got, closedForm(0.8, 7), 1e-6)).toBe(false);
      expect(near(got, closedForm(0.9, 6), 1e-6)).toBe(false);
      // With the warm-up the decay of update t is min(d, (1 + t)/(10 + t)): a different average.
      expect(near(averageAfter({ decay: 0.9, warmup: true }, 7, update), got, 1e-6)).toBe(false);
    });

  it('with the warm-up, θ₀ keeps the weight Π (1 + t)/(10 + t) = 10!·(n + 1)!/(n + 10)! — after 100 steps almost none, not 95%', () => {
    const ema = { decay: 0.9995, warmup: true };
    const weightOfStart = (e: EmaConfig, n: number) => {
      // θ₀ = 1, then θ_t = 0: what is left of θ₀ is its weight.
      let avg: tf.Tensor = tf.scalar(1);
      const zero = tf.scalar(0);
      for (let t = 1; t <= n; t++) {
        const next = emaUpdate(avg, zero, emaDecayAt(e, t));
        avg.dispose();
        avg = next;
      }
      const w = avg.dataSync()[0]!;
      tf.dispose([avg, zero]);
      return w;
    };
    const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
    for (const n of [1, 5, 20, 100]) expect(weightOfStart(ema, n)).toBeCloseTo((fact(10) * fact(n + 1)) / fact(n + 10), 6);
    expect(weightOfStart(ema, 100)).toBeLessThan(1e-6);
    // Negative control: the plain average still holds 0.9995¹⁰⁰ ≈ 95% of θ₀.
    expect(weightOfStart({ ...ema, warmup: false }, 100)).toBeCloseTo(0.9995 ** 100, 5);
    // Past the warm-up the configured decay applies.
    expect(emaDecayAt(ema, 1e6)).toBe(0.9995);
    expect(emaDecayAt(ema, 1)).toBeCloseTo(2 / 11, 15);
  });

  it('is a slot of every parameter, starting as the parameter; averageOf reads it back by parameter name', () => {
    const spec = presets.tiny({ height: 4, width: 4, channels: 1, levels: 2 });
    const params = { a: tf.tensor1d([1, 2]), b: tf.tensor2d([[3]]) };
    const state = initTrainState(spec, params, { ...defaultOptimizer('rmsprop'), ema: { decay: 0.99, warmup: true } });
    expect(Object.keys(state.slots).sort()).toEqual(['ema/a', 'ema/b', 'ms/a', 'ms/b']);
    const avg = averageOf(state.params, state.slots)!;
    expect(Array.from(avg.a!.dataSync())).toEqual([1, 2]);
    expect(avg.b!.shape).toEqual([1, 1]);
    expect(avg.a).not.toBe(state.params.a); // a copy: the parameters move, the average follows slowly
    const plain = initSlots(defaultOptimizer('rmsprop'), params);
    expect(averageOf(params, plain)).toBeUndefined();
    disposeAll(state.params, state.slots, plain);
  });

  it('applyStep with an average and a schedule leaves tf.memory().numTensors flat, and a skipped batch leaves the average alone', () => {
    const spec = presets.tiny({ height: 4, width: 4, channels: 1, levels: 2 });
    const config: OptimizerConfig = { ...defaultOptimizer('adam', lr), schedule: { kind: 'exponential', gamma: 0.99 }, ema: { decay: 0.9, warmup: true } };
    let state = initTrainState(spec, { w: tf.tensor1d([0, 0, 0, 0]) }, config);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) state = applyStep(state, 1, { w: tf.tensor1d(grad) }, 4).state;
    expect(tf.memory().numTensors).toBe(before);
    const avg = Array.from(state.slots[emaSlot('w')]!.dataSync());
    const skipped = applyStep(state, NaN, { w: tf.tensor1d(grad) }, 4, 'skip');
    expect(skipped.skipped).toBe(true);
    expect(Array.from(skipped.state.slots[emaSlot('w')]!.dataSync())).toEqual(avg);
    expect(tf.memory().numTensors).toBe(before);
    disposeAll(skipped.state.params, skipped.state.slots);
  });
});
