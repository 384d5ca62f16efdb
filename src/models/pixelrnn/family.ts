// What the Row LSTM and Diagonal BiLSTM families share as family values: the network, its cached
// sampler, rules, cost and the presets' sizes; each family folder adds its codec, names, figures,
// reference field and arbitrary.

import { classesOf, labelMap } from '../../conditioning.js';
import { defaultLikelihood } from '../../likelihoods/index.js';
import type { ModelFamily, Preset } from '../../model.js';
import { Rng } from '../../rng.js';
import { tf } from '../../tf.js';
import { cachedPixelRnnSampler } from './cachedSampler.js';
import { initPixelRnn, pixelRnnFlops, pixelRnnForward, pixelRnnShapes, type RecurrentSpec } from './network.js';
import { recurrentBody, recurrentRules } from './spec.js';

type Own<S extends RecurrentSpec> = Pick<ModelFamily<S>, 'family' | 'label' | 'summary' | 'published' | 'codec' | 'referenceField' | 'specArb'>;

/** A preset of `family` with these sizes, residual and skip connections on. */
const recurrentPreset =
  <S extends RecurrentSpec>(family: S['family'], hidden: number, layers: number, firstKernel: number, headHidden: number): Preset<S> =>
  (img) => ({ ...img, likelihood: defaultLikelihood(img.levels), ...recurrentBody(family, hidden, layers, firstKernel, headHidden) }) as S;

export const recurrentFamily = <S extends RecurrentSpec>(own: Own<S>): ModelFamily<S> => ({
  ...own,
  rules: (s) => recurrentRules(s),
  presets: {
    /** For tests: a few hundred weights. */
    tiny: (img) => recurrentPreset<S>(own.family, 3 * img.channels, 1, 3, 2 * img.channels)(img),
    /** Small enough to train on a 2-core CPU. */
    small: recurrentPreset<S>(own.family, 16, 3, 7, 32),
    /** The size of the paper's binarized-MNIST Diagonal BiLSTM: 7 layers, h = 16. */
    mnist: recurrentPreset<S>(own.family, 16, 7, 7, 32),
    /** The paper's CIFAR-10 PixelRNNs: 12 layers, h = 128. */
    cifar: recurrentPreset<S>(own.family, 128, 12, 7, 1024),
  },
  shapes: (s) => pixelRnnShapes(s, '', classesOf(s)),
  init: (s, seed) => initPixelRnn(s, Rng.fromSeed(seed, 1), '', classesOf(s)),
  // Class-conditional: the one-hot label, as a map over the image, biases every layer's gates (1×1).
  forward: (s, params, x, options, labels) =>
    tf.tidy(() => {
      const condition = labels ? labelMap(labels, classesOf(s), s.height, s.width) : undefined; // [B, H, W, classes]
      return pixelRnnForward(s, params, x, options, '', condition);
    }),
  cachedSampler: cachedPixelRnnSampler,
  trainingFlops: (s) => pixelRnnFlops(s).train,
});
