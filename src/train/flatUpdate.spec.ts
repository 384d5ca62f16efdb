// The one-pass update (flatUpdate.ts) is the optimizer of optimizers.ts: same new parameters and
// slots, and the norms applyStep checks, for any values, shapes and steps; an overflow shows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tf, type NamedTensors } from '../tf.js';
import { applyGradientsFlat, updateFlat } from './flatUpdate.js';
import { applyGradients, defaultOptimizer, initSlots, type OptimizerConfig } from './optimizers.js';
import { applyStep, disposeAll, globalNorm, initTrainState, NonFiniteError } from './step.js';
import { presets } from '../models/registry.js';

const configs: OptimizerConfig[] = [defaultOptimizer('rmsprop', 0.01), defaultOptimizer('adam', 0.003)];
/** With a learning-rate schedule and a weight average (the `ema/` slots compared like the others). */
const scheduled: OptimizerConfig[] = [
  { ...defaultOptimizer('rmsprop', 0.01), schedule: { kind: 'exponential', gamma: 0.9 }, ema: { decay: 0.99, warmup: true } },
  { ...defaultOptimizer('adam', 0.003), schedule: { kind: 'cosine', floor: 0.1, totalSteps: 3 }, ema: { decay: 0.5, warmup: false } },
  { ...defaultOptimizer('adam', 0.003), schedule: { kind: 'linear', floor: 0, totalSteps: 2 }, ema: { decay: 0.9995, warmup: true } },
];

const tensorsOf = (values: Record<string, { shape: number[]; data: number[] }>): NamedTensors =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, tf.tensor(v.data, v.shape, 'float32')]));

type Problem = { params: number[][]; grads: number[][]; shapes: [number, number][]; steps: number };

/** Named tensors of random shapes and values: a few parameters, each with its gradient. */
const problem: fc.Arbitrary<Problem> = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 4 })
  .chain((shapes) =>
    fc.record({
      params: fc.tuple(...shapes.map(([a, b]) => fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: a * b, maxLength: a * b }))),
      grads: fc.tuple(...shapes.map(([a, b]) => fc.array(fc.float({ min: -3, max: 3, noNaN: true }), { minLength: a * b, maxLength: a * b }))),
      shapes: fc.constant(shapes),
      steps: fc.integer({ min: 1, max: 3 }),
    }),
  );

const close = (a: Float32Array, b: Float32Array) => a.every((x, i) => Math.abs(x - b[i]!) <= 1e-5 * (1 + Math.abs(b[i]!)));

/** Both updates applied `steps` times from the same start; true when they agree throughout. */
const agree = (config: OptimizerConfig, p: Problem, update = applyGradientsFlat): boolean => {
  const named = (arrays: number[][]) => tensorsOf(Object.fromEntries(p.shapes.map((s, i) => [`p${i}`, { shape: s, data: arrays[i]! }])));
  const start = () => {
    const params = named(p.params);
    return { params, slots: initSlots(config, params) };
  };
  let ref = start();
  let flat = start();
  let ok = true;
  for (let step = 1; step <= p.steps && ok; step++) {
    const grads = named(p.grads.map((g) => g.map((x) => x / step)));
    const a = applyGradients(config, ref.params, ref.slots, grads, step);
    const b = update(config, flat.params, flat.slots, grads, step);
    const gradNorm = globalNorm(grads);
    const paramNorm = globalNorm(a.params);
    ok =
      Object.keys(a.params).every((k) => close(b.params[k]!.dataSync() as Float32Array, a.params[k]!.dataSync() as Float32Array)) &&
      Object.keys(a.slots).every((k) => close(b.slots[k]!.dataSync() as Float32Array, a.slots[k]!.dataSync() as Float32Array)) &&
      Math.abs(b.gradNorm - gradNorm.dataSync()[0]!) <= 1e-4 * (1 + b.gradNorm) &&
      Math.abs(b.paramNorm - paramNorm.dataSync()[0]!) <= 1e-4 * (1 + b.paramNorm);
    tf.dispose([gradNorm, paramNorm]);
    disposeAll(grads, ref.params, ref.slots, flat.params, flat.slots);
    ref = a;
    flat = b;
  }
  disposeAll(ref.params, ref.slots, flat.params, flat.slots);
  return ok;
};

describe('one-pass optimizer update', () => {
  for (const config of configs)
    it(`${config.name}: equals applyGradients and its norms over several steps`, () => {
      const before = tf.memory().numTensors;
      fc.assert(fc.property(problem, (p) => agree(config, p)), { numRuns: 40 });
      expect(tf.memory().numTensors).toBe(before);
    });

  for (const config of scheduled)
    it(`${config.name} with a ${config.schedule!.kind} schedule and an average: equals applyGradients, slots and average included`, () => {
      const before = tf.memory().numTensors;
      fc.assert(fc.property(problem, (p) => agree(config, p)), { numRuns: 30 });
      expect(tf.memory().numTensors).toBe(before);
    });

  it('negative controls: an update that ignores the schedule, or the average\'s warm-up, is caught', () => {
    const noSchedule: typeof applyGradientsFlat = (config, params, slots, grads, step) => {
      const { schedule: _s, ...rest } = config;
      return applyGradientsFlat(rest as OptimizerConfig, params, slots, grads, step);
    };
    const noWarmup: typeof applyGradientsFlat = (config, params, slots, grads, step) =>
      applyGradientsFlat({ ...config, ema: { ...config.ema!, warmup: false } }, params, slots, grads, step);
    const atLeastTwoSteps = problem.map((p) => ({ ...p, steps: Math.max(2, p.steps) }));
    expect(() => fc.assert(fc.property(atLeastTwoSteps, (p) => agree(scheduled[0]!, p, noSchedule)), { numRuns: 30 })).toThrow();
    expect(() => fc.assert(fc.property(atLeastTwoSteps, (p) => agree(scheduled[0]!, p, noWarmup)), { numRuns: 30 })).toThrow();
  });

  it('negative control: an update with a wrong decay is caught', () => {
    const wrong: typeof applyGradientsFlat = (config, params, slots, grads, step) =>
      applyGradientsFlat(config.name === 'rmsprop' ? { ...config, decay: 0.9 } : { ...config, beta1: 0.8 }, params, slots, grads, step);
    for (const config of configs) expect(() => fc.assert(fc.property(problem, (p) => agree(config, p, wrong)), { numRuns: 40 })).toThrow();
  });

  it('reads an overflow back as it is stored: an Infinity norm, not a large finite one', () => {
    const u = updateFlat(defaultOptimizer('rmsprop', 1e38), 1, Float32Array.of(-3e38), [Float32Array.of(0)], Float32Array.of(1));
    expect(u.params[0]).toBe(-Infinity);
    expect(u.paramSquares).toBe(Infinity);
  });

  it('applyStep on this backend refuses an update that overflows, keeping the old state', () => {
    const spec = presets.tiny({ height: 4, width: 4, channels: 1, levels: 2 });
    const params = tensorsOf({ w: { shape: [2], data: [3e38, 1] } });
    const state = initTrainState(spec, params, defaultOptimizer('rmsprop', 1e38));
    expect(() => applyStep(state, 1, tensorsOf({ w: { shape: [2], data: [-1, 1] } }), 1)).toThrow(NonFiniteError);
    expect(Array.from(state.params.w!.dataSync())).toEqual([Math.fround(3e38), 1]);
    disposeAll(state.params, state.slots);
  });
});
