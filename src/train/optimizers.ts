// Optimizers as pure functions over named tensors: (params, slots, grads, step) → (params, slots).
// Their state is plain data, so it can be checkpointed, resumed exactly, and shared by workers.
//
// An optimizer config may carry a learning-rate schedule (schedule.ts: the rate at update `step` is
// learningRate · scheduleFactor(schedule, step)) and a weight average (ema.ts: an `ema/<param>`
// slot per parameter, updated after the parameters in the same update). Configs without either —
// every checkpoint written before they existed — train at a constant rate with no average.

import * as t from 'io-ts';
import { tf, type NamedTensors } from '../tf.js';
import { emaDecayAt, emaErrors, EmaConfigCodec, emaSlot, emaUpdate } from './ema.js';
import { LrScheduleCodec, scheduleErrors, scheduleFactor } from './schedule.js';

const Extras = t.partial({ schedule: LrScheduleCodec, ema: EmaConfigCodec });

export const OptimizerConfigCodec = t.union([
  t.intersection([t.type({ name: t.literal('rmsprop'), learningRate: t.number, decay: t.number, epsilon: t.number }), Extras]),
  t.intersection([t.type({ name: t.literal('adam'), learningRate: t.number, beta1: t.number, beta2: t.number, epsilon: t.number }), Extras]),
]);
export type OptimizerConfig = t.TypeOf<typeof OptimizerConfigCodec>;

export const defaultOptimizer = (name: 'rmsprop' | 'adam', learningRate?: number): OptimizerConfig =>
  name === 'adam'
    ? { name, learningRate: learningRate ?? 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }
    : { name, learningRate: learningRate ?? 1e-3, decay: 0.95, epsilon: 1e-6 };

/** The rules of the schedule's and the average's numbers (`optimizer.schedule.gamma: expected …`). */
export const optimizerExtrasErrors = (config: OptimizerConfig, where = 'optimizer'): string[] => [
  ...(config.schedule ? scheduleErrors(config.schedule, `${where}.schedule`) : []),
  ...(config.ema ? emaErrors(config.ema, `${where}.ema`) : []),
];

/** The learning rate of update `step` (1-based): the base rate times the schedule's factor. */
export const learningRateAt = (config: OptimizerConfig, step: number): number => config.learningRate * scheduleFactor(config.schedule, step);

export interface Update {
  readonly params: NamedTensors;
  readonly slots: NamedTensors;
}

/** Slot names and initial values for each parameter: zero moments; the average starts as the parameter. */
export const initSlots = (config: OptimizerConfig, params: NamedTensors): NamedTensors => {
  const slots: NamedTensors = {};
  for (const [name, p] of Object.entries(params)) {
    if (config.name === 'rmsprop') slots[`ms/${name}`] = tf.zerosLike(p);
    else {
      slots[`m/${name}`] = tf.zerosLike(p);
      slots[`v/${name}`] = tf.zerosLike(p);
    }
    if (config.ema) slots[emaSlot(name)] = tf.clone(p);
  }
  return slots;
};

/**
 * One update. `step` is the 1-based index of this update (Adam's bias correction, the schedule,
 * the average's warm-up). Returns new tensors; the caller owns and disposes the old ones.
 */
export const applyGradients = (
  config: OptimizerConfig,
  params: NamedTensors,
  slots: NamedTensors,
  grads: NamedTensors,
  step: number,
): Update =>
  tf.tidy(() => {
    const nextParams: NamedTensors = {};
    const nextSlots: NamedTensors = {};
    const rate = learningRateAt(config, step);
    for (const [name, p] of Object.entries(params)) {
      const g = grads[name];
      if (!g) throw new Error(`no gradient for parameter '${name}'`);
      if (config.name === 'rmsprop') {
        const ms = tf.add(tf.mul(slots[`ms/${name}`]!, config.decay), tf.mul(tf.square(g), 1 - config.decay));
        nextSlots[`ms/${name}`] = ms;
        nextParams[name] = tf.sub(p, tf.div(tf.mul(g, rate), tf.sqrt(tf.add(ms, config.epsilon))));
      } else {
        const m = tf.add(tf.mul(slots[`m/${name}`]!, config.beta1), tf.mul(g, 1 - config.beta1));
        const v = tf.add(tf.mul(slots[`v/${name}`]!, config.beta2), tf.mul(tf.square(g), 1 - config.beta2));
        nextSlots[`m/${name}`] = m;
        nextSlots[`v/${name}`] = v;
        const lr = (rate * Math.sqrt(1 - config.beta2 ** step)) / (1 - config.beta1 ** step);
        nextParams[name] = tf.sub(p, tf.div(tf.mul(m, lr), tf.add(tf.sqrt(v), config.epsilon)));
      }
      if (config.ema) {
        const avg = slots[emaSlot(name)];
        if (!avg) throw new Error(`no average slot '${emaSlot(name)}' for parameter '${name}'`);
        nextSlots[emaSlot(name)] = emaUpdate(avg, nextParams[name]!, emaDecayAt(config.ema, step));
      }
    }
    return { params: nextParams, slots: nextSlots };
  });
