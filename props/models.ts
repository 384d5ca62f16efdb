// Models for properties: real models of any registered family, with weights of two kinds:
//  - 'signed': the family's own seeded initialisation (what training starts from);
//  - 'positive': the same weights made positive (|w|) and every 1-D tensor (the biases) drawn in
//    [0.1, 1.1). Fed images whose levels are in the upper half (inputs ≥ 0 after scaling to
//    [-1, 1]), every ReLU of such a network is on and every path adds a positive term: a gradient
//    is non-zero exactly where the architecture connects two values. This is what the full-past and
//    channel-order laws need to see a missing dependence (a random ReLU net hides some: a unit that
//    is off at all images measured cuts its paths).

import type { AutoregressiveModel, BaseSpec, ForwardOptions } from '../src/model.js';
import { bindModel, familyOf } from '../src/models/registry.js';
import { Rng } from '../src/rng.js';
import { tf, type NamedTensors } from '../src/tf.js';
import { valuesPerImage } from './types.js';

export type WeightKind = 'signed' | 'positive';

/** |w| for every tensor of rank ≥ 2; every 1-D tensor redrawn uniformly in [0.1, 1.1). */
export const positiveParams = (params: NamedTensors, seed: number): NamedTensors => {
  const rng = Rng.fromSeed(seed, 31);
  const out: NamedTensors = {};
  for (const name of Object.keys(params).sort()) {
    const t = params[name]!;
    out[name] =
      t.rank === 1
        ? tf.tensor1d(Float32Array.from({ length: t.size }, () => 0.1 + rng.uniform()))
        : tf.tidy(() => tf.abs(t));
  }
  return out;
};

export interface GenericModelOptions extends Partial<ForwardOptions> {
  readonly weights?: WeightKind;
}

/**
 * A model of the spec's family with seeded weights of the kind asked (default 'signed'), gather
 * convolutions and gradients flowing into the input (inputGradient, default true).
 */
export const genericModel = <S extends BaseSpec>(spec: S, seed: number, o: GenericModelOptions = {}): AutoregressiveModel<S> => {
  const forward: ForwardOptions = { convImpl: o.convImpl ?? 'gather', inputGradient: o.inputGradient ?? true };
  const init = familyOf(spec).init(spec, seed);
  if ((o.weights ?? 'signed') === 'signed') return bindModel(spec, init, forward);
  const params = positiveParams(init, seed);
  for (const t of Object.values(init)) t.dispose();
  return bindModel(spec, params, forward);
};

/** Seeded images whose levels are all in the upper half, ⌈(K−1)/2⌉..K−1 (scaled inputs ≥ 0). */
export const upperHalfImages = (s: BaseSpec, count: number, seed: number): number[][] => {
  const rng = Rng.fromSeed(seed, 29);
  const low = Math.ceil((s.levels - 1) / 2);
  const n = valuesPerImage(s);
  return Array.from({ length: count }, () => Array.from({ length: n }, () => low + rng.int(s.levels - low)));
};

/** Free a model's parameters. */
export const disposeModel = (model: { readonly params: NamedTensors }): void => {
  for (const t of Object.values(model.params)) if (!t.isDisposed) t.dispose();
};
