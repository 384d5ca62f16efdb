// Optimizers as pure functions over named tensors: (params, slots, grads, step) → (params, slots).
// Their state is plain data, so it can be checkpointed, resumed exactly, and shared by workers.

import * as t from 'io-ts';
import { tf, type NamedTensors } from '../tf.js';

export const OptimizerConfigCodec = t.union([
  t.type({ name: t.literal('rmsprop'), learningRate: t.number, decay: t.number, epsilon: t.number }),
  t.type({ name: t.literal('adam'), learningRate: t.number, beta1: t.number, beta2: t.number, epsilon: t.number }),
]);
export type OptimizerConfig = t.TypeOf<typeof OptimizerConfigCodec>;

export const defaultOptimizer = (name: 'rmsprop' | 'adam', learningRate?: number): OptimizerConfig =>
  name === 'adam'
    ? { name, learningRate: learningRate ?? 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }
    : { name, learningRate: learningRate ?? 1e-3, decay: 0.95, epsilon: 1e-6 };

export interface Update {
  readonly params: NamedTensors;
  readonly slots: NamedTensors;
}

/** Slot names and initial (zero) values for each parameter. */
export const initSlots = (config: OptimizerConfig, params: NamedTensors): NamedTensors => {
  const slots: NamedTensors = {};
  for (const [name, p] of Object.entries(params)) {
    if (config.name === 'rmsprop') slots[`ms/${name}`] = tf.zerosLike(p);
    else {
      slots[`m/${name}`] = tf.zerosLike(p);
      slots[`v/${name}`] = tf.zerosLike(p);
    }
  }
  return slots;
};

/**
 * One update. `step` is the 1-based index of this update (Adam's bias correction). Returns new
 * tensors; the caller owns and disposes the old ones.
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
    for (const [name, p] of Object.entries(params)) {
      const g = grads[name];
      if (!g) throw new Error(`no gradient for parameter '${name}'`);
      if (config.name === 'rmsprop') {
        const ms = tf.add(tf.mul(slots[`ms/${name}`]!, config.decay), tf.mul(tf.square(g), 1 - config.decay));
        nextSlots[`ms/${name}`] = ms;
        nextParams[name] = tf.sub(p, tf.div(tf.mul(g, config.learningRate), tf.sqrt(tf.add(ms, config.epsilon))));
      } else {
        const m = tf.add(tf.mul(slots[`m/${name}`]!, config.beta1), tf.mul(g, 1 - config.beta1));
        const v = tf.add(tf.mul(slots[`v/${name}`]!, config.beta2), tf.mul(tf.square(g), 1 - config.beta2));
        nextSlots[`m/${name}`] = m;
        nextSlots[`v/${name}`] = v;
        const lr = (config.learningRate * Math.sqrt(1 - config.beta2 ** step)) / (1 - config.beta1 ** step);
        nextParams[name] = tf.sub(p, tf.div(tf.mul(m, lr), tf.add(tf.sqrt(v), config.epsilon)));
      }
    }
    return { params: nextParams, slots: nextSlots };
  });
