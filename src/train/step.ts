// One training step as a pure function of (state, batch): loss and gradients, a finiteness check,
// an optimizer update. The state is plain data — spec, parameters, optimizer slots, step — so that
// it can be checkpointed, resumed exactly, and split across workers (gradients of shards averaged).

import { bitsPerDim, likelihoodFor } from '../likelihoods/index.js';
import { requireLabels } from '../conditioning.js';
import type { BaseSpec, ForwardOptions, Labels } from '../model.js';
import { familyOf } from '../models/registry.js';
import { tf, type NamedTensors, type Tensor4D } from '../tf.js';
import { applyGradientsFlat, type UpdateWithNorms } from './flatUpdate.js';
import { applyGradients, initSlots, type OptimizerConfig } from './optimizers.js';

export interface TrainState<S extends BaseSpec = BaseSpec> {
  readonly spec: S;
  readonly optimizer: OptimizerConfig;
  readonly params: NamedTensors;
  readonly slots: NamedTensors;
  /** Number of updates applied so far. */
  readonly step: number;
}

export interface StepMetrics {
  readonly step: number; // 1-based index of the update just applied
  readonly loss: number; // mean NLL per image, nats
  readonly bitsPerDim: number;
  readonly gradNorm: number;
  readonly images: number;
}

export class NonFiniteError extends Error {
  constructor(
    readonly step: number,
    readonly what: 'loss' | 'gradient' | 'parameters',
  ) {
    super(
      `step ${step}: ${what === 'parameters' ? 'the updated parameters are' : `${what} is`} not finite (NaN or Inf); training stopped, no update applied`,
    );
  }
}

export const initTrainState = <S extends BaseSpec>(
  spec: S,
  params: NamedTensors,
  optimizer: OptimizerConfig,
): TrainState<S> => ({ spec, optimizer, params, slots: initSlots(optimizer, params), step: 0 });

export interface LossAndGrads {
  readonly loss: tf.Scalar; // mean NLL over the batch
  readonly grads: NamedTensors;
}

/** Mean NLL of a batch and its gradient with respect to every parameter. */
export const lossAndGradients = (
  spec: BaseSpec,
  params: NamedTensors,
  x: Tensor4D,
  options: ForwardOptions,
  labels?: Labels,
): LossAndGrads => {
  const family = familyOf(spec);
  const likelihood = likelihoodFor(spec.likelihood, spec);
  const given = requireLabels(spec, labels, x.shape[0]);
  const names = Object.keys(params);
  const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
    const named = Object.fromEntries(names.map((n, i) => [n, ps[i]!]));
    return tf.mean(family.trainingNll?.(spec, named, x, options, given) ?? likelihood.nll(family.forward(spec, named, x, options, given), x));
  })(names.map((n) => params[n]!));
  return { loss: value as unknown as tf.Scalar, grads: Object.fromEntries(names.map((n, i) => [n, grads[i]!])) };
};

/**
 * The forward options of a training step: its random draws (dropout) keyed by the step and by the
 * position of the call's first image in the step's batch (a worker's shard starts at `first`), so
 * that the masks do not depend on how a batch is split or on where a run was resumed.
 */
export const trainingOptions = (options: ForwardOptions, step: number, first = 0): ForwardOptions => ({
  ...options,
  training: { seed: options.training?.seed ?? 0, step, first },
});

/** Global L2 norm of a set of gradients. [] */
export const globalNorm = (grads: NamedTensors): tf.Scalar =>
  tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as tf.Scalar);

/** Backends whose tensors live in this process's memory: there one loop beats a few hundred small ops. */
const flatUpdateBackends = new Set(['wasm', 'cpu']);

/** The update and the two norms applyStep checks: one pass over read-back values on wasm and cpu
 *  (flatUpdate.ts), tfjs ops elsewhere (tensorflow: native kernels, maybe a GPU). */
const updateWithNorms = (
  optimizer: OptimizerConfig,
  params: NamedTensors,
  slots: NamedTensors,
  grads: NamedTensors,
  step: number,
): UpdateWithNorms => {
  if (flatUpdateBackends.has(tf.getBackend())) return applyGradientsFlat(optimizer, params, slots, grads, step);
  const update = applyGradients(optimizer, params, slots, grads, step);
  const checks = tf.tidy(() => tf.stack([globalNorm(grads), globalNorm(update.params)]));
  const [gradNorm, paramNorm] = Array.from(checks.dataSync());
  checks.dispose();
  return { ...update, gradNorm: gradNorm!, paramNorm: paramNorm! };
};

export const disposeAll = (...maps: NamedTensors[]): void => {
  for (const m of maps) for (const t of Object.values(m)) t.dispose();
};

export type NonFinitePolicy = 'stop' | 'skip';

export interface StepResult<S extends BaseSpec> {
  readonly state: TrainState<S>;
  readonly metrics: StepMetrics;
  /** True when the batch was skipped for a non-finite loss or gradient (policy 'skip'): the step
   *  counter advances, the weights and optimizer slots do not change. */
  readonly skipped: boolean;
}

/**
 * Apply already-computed (averaged) gradients to the state. Takes ownership of `grads` and of the
 * old state's tensors: they are disposed, unless the step is refused for non-finite values, in
 * which case the old state is returned intact (policy 'skip') or a NonFiniteError thrown ('stop').
 */
export const applyStep = <S extends BaseSpec>(
  state: TrainState<S>,
  lossValue: number,
  grads: NamedTensors,
  images: number,
  policy: NonFinitePolicy = 'stop',
): StepResult<S> => {
  const step = state.step + 1;
  // The update is computed first, then the gradient norm and the new weights' finiteness are read
  // back together: one sync per step, and an overflow in the update is caught like a NaN gradient.
  const { gradNorm, paramNorm, ...update } = updateWithNorms(state.optimizer, state.params, state.slots, grads, step);
  disposeAll(grads);
  const bad = !Number.isFinite(lossValue)
    ? 'loss'
    : !Number.isFinite(gradNorm)
      ? 'gradient'
      : !Number.isFinite(paramNorm)
        ? 'parameters'
        : null;
  if (bad) {
    disposeAll(update.params, update.slots);
    if (policy === 'stop') throw new NonFiniteError(step, bad);
    // A skipped batch still counts as a step (with no update), so that step k always reads batch k
    // and a resumed run sees the same data as an uninterrupted one.
    return {
      state: { ...state, step },
      skipped: true,
      metrics: { step, loss: lossValue, bitsPerDim: NaN, gradNorm, images },
    };
  }
  disposeAll(state.params, state.slots);
  return {
    state: { ...state, params: update.params, slots: update.slots, step },
    skipped: false,
    metrics: { step, loss: lossValue, bitsPerDim: bitsPerDim(lossValue, state.spec), gradNorm, images },
  };
};

/** One full step on one batch in this process. */
export const trainStep = <S extends BaseSpec>(
  state: TrainState<S>,
  x: Tensor4D,
  options: ForwardOptions,
  policy: NonFinitePolicy = 'stop',
  labels?: Labels,
): StepResult<S> => {
  // batch k feeds update k + 1: its draws are keyed by k, as the engines key them by the batch index
  const { loss, grads } = lossAndGradients(state.spec, state.params, x, trainingOptions(options, state.step), labels);
  const lossValue = loss.dataSync()[0]!;
  loss.dispose();
  return applyStep(state, lossValue, grads, x.shape[0], policy);
};
