// PixelCNN (van den Oord et al. 2016, §3.4 and Figure 4), read top to bottom:
//
//   x ─ 7×7 conv, mask A ─┬─ [ReLU ─ 3×3 conv, mask B ─ (+)] × N ─ ReLU ─ 1×1 mask B ─ ReLU ─ 1×1 mask B ─ head
//                         └──────────── residual ─────────┘
//
// Every hidden layer has h features split into C channel groups; the last layer has C·F features
// (F per channel, as the likelihood asks: K logits for a softmax, one for a Bernoulli), group c
// holding channel c's block. Class-conditional (spec.classes): every layer adds a learned vector of
// its label, E_l[y] (a bias per class, as Gated PixelCNN's V·h with h one-hot).

import { initMaskedConv, maskedConv, maskedConvShapes, maskedConvWeights, residualMaskedConv, squareConv, type MaskedConvSpec } from '../../layers/maskedConv.js';
import { fusedHeadNll, fusedHeadSupports } from '../../kernels/crossEntropy.js';
import { classBiasName, classesOf, initClassBias, labelBias } from '../../conditioning.js';
import { likelihoodFor } from '../../likelihoods/index.js';
import type { ForwardOptions, Labels } from '../../model.js';
import { Rng } from '../../rng.js';
import { tf, type NamedTensors, type Tensor1D, type Tensor4D } from '../../tf.js';
import type { PixelCnnSpec } from './spec.js';

/** What a layer does in the stack: the cached sampler reads roles from here, not from names. */
export type PixelCnnRole = 'input' | 'residual' | 'head0' | 'head1';

export interface PixelCnnLayer {
  readonly role: PixelCnnRole;
  readonly conv: MaskedConvSpec;
}

/** Head features per pixel: C·F for the spec's likelihood. */
export const headFeatures = (s: PixelCnnSpec): number => s.channels * likelihoodFor(s.likelihood, s).featuresPerChannel;

/** The masked convolutions of a PixelCNN, in order, with their roles. */
export const pixelCnnLayers = (s: PixelCnnSpec): PixelCnnLayer[] => {
  const conv = squareConv(s.channels);
  return [
    { role: 'input', conv: conv('input', s.firstKernel, 'A', s.channels, s.hidden) },
    ...Array.from({ length: s.residualLayers }, (_, l) => ({ role: 'residual' as const, conv: conv(`res${l}`, s.kernel, 'B', s.hidden, s.hidden) })),
    { role: 'head0', conv: conv('head0', 1, 'B', s.hidden, s.headHidden) },
    { role: 'head1', conv: conv('head1', 1, 'B', s.headHidden, headFeatures(s)) },
  ];
};

/** Shapes of one layer's parameters: its compact weights, bias and (conditional) class biases. */
const layerShapes = (s: PixelCnnSpec, conv: MaskedConvSpec): Record<string, number[]> => ({
  ...maskedConvShapes(conv),
  ...(classesOf(s) > 0 ? { [classBiasName(conv.name)]: [classesOf(s), conv.outFeatures] } : {}),
});

export const pixelCnnShapes = (s: PixelCnnSpec): Record<string, number[]> =>
  Object.assign({}, ...pixelCnnLayers(s).map((l) => layerShapes(s, l.conv)));

export const initPixelCnn = (s: PixelCnnSpec, seed: number): NamedTensors => {
  const rng = Rng.fromSeed(seed, 1);
  const classRng = Rng.fromSeed(seed, 5);
  // Residual branches start small so the initial network is close to the identity path.
  return Object.assign(
    {},
    ...pixelCnnLayers(s).map((l) => ({
      ...initMaskedConv(l.conv, rng, l.role === 'residual' ? 0.5 : 1),
      ...(classesOf(s) > 0 ? { [classBiasName(l.conv.name)]: initClassBias(classesOf(s), l.conv.outFeatures, classRng) } : {}),
    })),
  ) as NamedTensors;
};

/**
 * The network up to its last layer: relu of head0's output [B, H, W, h'] (the last layer's input),
 * the last layer, and the conv that applies a layer with its label's bias.
 */
const pixelCnnTrunk = (s: PixelCnnSpec, params: NamedTensors, x: Tensor4D, options: ForwardOptions, labels?: Labels) => {
  const masked = maskedConv(options.convImpl);
  const residual = residualMaskedConv(options.convImpl);
  /** A layer's output plus its label's bias E_l[y] when conditional. */
  const labelled = (layer: MaskedConvSpec, y: Tensor4D): Tensor4D => {
    if (!labels) return y;
    const [b, , , out] = y.shape;
    return tf.add(y, tf.reshape(labelBias(params, classBiasName(layer.name), labels), [b, 1, 1, out])) as Tensor4D; // [B, H, W, out]
  };
  /** The masked convolution, plus its label's bias when conditional. */
  const conv: typeof masked = (layer, p, input, o) => labelled(layer, masked(layer, p, input, o)); // [B, H, W, out]
  const layers = pixelCnnLayers(s);
  const of = (role: PixelCnnRole) => layers.filter((l) => l.role === role).map((l) => l.conv);
  const [input] = of('input');
  const [head0] = of('head0');
  const [head1] = of('head1');

  // a training step's hidden gradients may round across pixels (faster); analyses get exact ones
  const exactInputGradient = options.training === undefined;
  const unit = tf.sub(tf.mul(x, 2 / (s.levels - 1)), 1) as Tensor4D; //   [B, H, W, C] in [-1, 1]
  let features = conv(input!, params, unit, { inputGradient: options.inputGradient ?? false }); // [B, H, W, h]  7×7 mask A (input is data)
  for (const layer of of('residual'))
    features = labelled(layer, residual(layer, params, features, { exactInputGradient })); // [B, H, W, h]  h + 3×3 mask B of ReLU(h)
  const hidden = conv(head0!, params, tf.relu(features)); //               [B, H, W, h']  1×1 mask B
  return { headInput: tf.relu(hidden), head1: head1!, conv }; //           [B, H, W, h']
};

export const pixelCnnForward = (s: PixelCnnSpec, params: NamedTensors, x: Tensor4D, options: ForwardOptions, labels?: Labels): Tensor4D =>
  tf.tidy(() => {
    const { headInput, head1, conv } = pixelCnnTrunk(s, params, x, options, labels);
    return conv(head1, params, headInput); //                                [B, H, W, C·F] 1×1 mask B
  });

/**
 * A training step's −log p(x) per image [B] with the last layer and its softmax cross-entropy in one
 * kernel that also computes their gradients (kernels/crossEntropy.ts headCrossEntropy: the K = 256
 * logits of a tile of pixels never leave the cache) — for the categorical likelihood, unconditional,
 * on wasm. Null elsewhere, and outside a training step: then the step runs forward and the likelihood.
 */
export const pixelCnnTrainingNll = (s: PixelCnnSpec, params: NamedTensors, x: Tensor4D, options: ForwardOptions, labels?: Labels): Tensor1D | null => {
  if (!options.training || labels || s.likelihood.kind !== 'categorical' || !fusedHeadSupports(x.shape[0], s.headHidden, s.channels, s.levels)) return null;
  return tf.tidy(() => {
    const { headInput, head1 } = pixelCnnTrunk(s, params, x, options);
    return fusedHeadNll(headInput, maskedConvWeights(head1, params), params[`${head1.name}.b`] as Tensor1D, x)!; // [B]
  });
};
