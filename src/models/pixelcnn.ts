// PixelCNN (van den Oord et al. 2016, §3.4 and Figure 4), read top to bottom:
//
//   x ─ 7×7 conv, mask A ─┬─ [ReLU ─ 3×3 conv, mask B ─ (+)] × N ─ ReLU ─ 1×1 mask B ─ ReLU ─ 1×1 mask B ─ logits
//                         └──────────── residual ─────────┘
//
// Every hidden layer has h features split into C channel groups; the last layer has C·K features,
// group c holding channel c's K logits. With head 'bernoulli' (K = 2) it has C features, one sigmoid
// logit each, returned as the softmax logits [0, ℓ] so that every consumer sees [B, H, W, C, K].

import { headLogits } from '../layers/head.js';
import { initMaskedConv, maskedConv, maskedConvShapes, squareConv, type MaskedConvSpec } from '../layers/maskedConv.js';
import type { ForwardOptions, ModelFamily } from '../model.js';
import { Rng } from '../rng.js';
import { tf, type NamedTensors, type Tensor4D, type Tensor5D } from '../tf.js';
import type { PixelCnnSpec } from './spec.js';

/** The masked convolutions of a PixelCNN, in order. */
export const pixelCnnLayers = (s: PixelCnnSpec): MaskedConvSpec[] => {
  const conv = squareConv(s.channels);
  const outFeatures = s.head === 'bernoulli' ? s.channels : s.channels * s.levels;
  return [
    conv('input', s.firstKernel, 'A', s.channels, s.hidden),
    ...Array.from({ length: s.residualLayers }, (_, l) => conv(`res${l}`, s.kernel, 'B', s.hidden, s.hidden)),
    conv('head0', 1, 'B', s.hidden, s.headHidden),
    conv('head1', 1, 'B', s.headHidden, outFeatures),
  ];
};

export const pixelCnn: ModelFamily<PixelCnnSpec> = {
  family: 'pixelcnn',

  shapes: (s) => Object.assign({}, ...pixelCnnLayers(s).map(maskedConvShapes)),

  init: (s, seed) => {
    const rng = Rng.fromSeed(seed, 1);
    const layers = pixelCnnLayers(s);
    // Residual branches start small so the initial network is close to the identity path.
    return Object.assign(
      {},
      ...layers.map((l) => initMaskedConv(l, rng, l.name.startsWith('res') ? 0.5 : 1)),
    ) as NamedTensors;
  },

  forward: (s, params, x, options: ForwardOptions): Tensor5D =>
    tf.tidy(() => {
      const conv = maskedConv(options.convImpl);
      const [input, ...rest] = pixelCnnLayers(s);
      const residual = rest.slice(0, s.residualLayers);
      const [head0, head1] = rest.slice(s.residualLayers) as [MaskedConvSpec, MaskedConvSpec];

      const unit = tf.sub(tf.mul(x, 2 / (s.levels - 1)), 1) as Tensor4D; //   [B, H, W, C] in [-1, 1]
      let features = conv(input!, params, unit, { inputGradient: options.inputGradient ?? false }); // [B, H, W, h]  7×7 mask A (input is data)
      for (const layer of residual)
        features = tf.add(features, conv(layer, params, tf.relu(features))); // [B, H, W, h]   3×3 mask B, residual
      const hidden = conv(head0, params, tf.relu(features)); //                 [B, H, W, h']  1×1 mask B
      const out = conv(head1, params, tf.relu(hidden)); //                      [B, H, W, C·K] or [B, H, W, C]
      return headLogits(out, s); //                                             [B, H, W, C, K]
    }),
};
