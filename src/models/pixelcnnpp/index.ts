// The PixelCNN++ family as one value: spec, presets, network, cached sampler, reference field,
// arbitrary and cost, registered in src/models/registry.ts. On the command line: --model pixelcnn++.

import type { ModelFamily } from '../../model.js';
import { pixelCnnPpSpecArb } from './arbitrary.js';
import { cachedPixelCnnPpSampler } from './cachedSampler.js';
import { pixelCnnPpField } from './field.js';
import { blocksOf, initPixelCnnPp, pixelCnnPpForward, pixelCnnPpLayout, pixelCnnPpShapes } from './network.js';
import { PIXELCNNPP, PixelCnnPpSpecCodec, pixelCnnPpPresets, pixelCnnPpRules, type PixelCnnPpSpec } from './spec.js';
import type { ShiftedConvSpec } from '../../layers/shift.js';

export type { PixelCnnPpSpec } from './spec.js';
export { PIXELCNNPP, pixelCnnPpPresets } from './spec.js';
export { pixelCnnPpLayout, blocksOf, type PixelCnnPpLayout, type GatedBlock } from './network.js';
export { pixelCnnPpSpecArb, type PixelCnnPpConstraints } from './arbitrary.js';
export { pixelCnnPpField, pixelCnnPpHeadField } from './field.js';
export { cachedPixelCnnPpSampler } from './cachedSampler.js';

/**
 * Useful flops per image: multiply-adds of every conv at the resolution its useful work is done —
 * a stride-2 conv at its (coarse) output, a transposed conv once per coarse input position — ×2,
 * for the forward pass, the weight gradient and the input gradient of every layer but the three
 * first convolutions (whose input is data): about 3× the forward flops. Elementwise work (concat_elu,
 * σ, products, dropout) is not counted; neither are the 3 of 4 positions the gather path's strided
 * and transposed convs compute and throw away (src/layers/shift.ts).
 */
export const pixelCnnPpFlops = (s: PixelCnnPpSpec): { forward: number; train: number } => {
  const L = pixelCnnPpLayout(s);
  const px = (level: number) => L.sides[level]![0] * L.sides[level]![1];
  const macs = (c: ShiftedConvSpec) => c.kh * c.kw * c.inFeatures * c.outFeatures;
  const first = (macs(L.initU) + macs(L.initAbove) + macs(L.initLeft)) * px(0);
  let total = first;
  for (const b of blocksOf(L)) total += (macs(b.c1) + macs(b.c2) + 2 * b.aux * b.c1.outFeatures) * px(b.level);
  for (const st of L.up) if (st.down) total += st.down.reduce((a, c) => a + macs(c), 0) * px(st.level + 1);
  for (const st of L.down) if (st.up) total += st.up.reduce((a, c) => a + macs(c), 0) * px(st.level + 1);
  total += L.head.inFeatures * L.head.outFeatures * px(0);
  const forward = 2 * total;
  return { forward, train: 3 * forward - 2 * first };
};

export const pixelCnnPp: ModelFamily<PixelCnnPpSpec> = {
  family: PIXELCNNPP,
  label: 'PixelCNN++',
  published: { source: 'Salimans et al. 2017 (PixelCNN++), Table 1', cifar10BitsPerDim: 2.92 },
  summary:
    'two shifted streams (from above; from above and the left), gated ResNet blocks with concat_elu, three resolutions with U-net connections, a discretized logistic mixture head',
  codec: PixelCnnPpSpecCodec,
  rules: pixelCnnPpRules,
  presets: pixelCnnPpPresets,
  shapes: pixelCnnPpShapes,
  init: initPixelCnnPp,
  forward: pixelCnnPpForward,
  cachedSampler: cachedPixelCnnPpSampler,
  referenceField: pixelCnnPpField,
  specArb: pixelCnnPpSpecArb,
  trainingFlops: (s) => pixelCnnPpFlops(s).train,
};
