// PixelCNN's reference receptive field (props' full-past law): the stack of masked layers, written
// out again from the paper's rule rather than from src/masks.ts.

import { stackField, type Dependence, type RefLayer } from '../../receptiveField.js';
import type { PixelCnnSpec } from './spec.js';

/** The PixelCNN stack: kxk mask A, residual kxk mask B layers, two 1×1 mask-B head layers. */
export const pixelCnnReferenceLayers = (s: PixelCnnSpec): RefLayer[] => [
  { kh: s.firstKernel, kw: s.firstKernel, type: 'A', residual: false },
  ...Array.from({ length: s.residualLayers }, () => ({ kh: s.kernel, kw: s.kernel, type: 'B' as const, residual: true })),
  { kh: 1, kw: 1, type: 'B', residual: false },
  { kh: 1, kw: 1, type: 'B', residual: false },
];

export const pixelCnnField = (s: PixelCnnSpec): Dependence => stackField(s, pixelCnnReferenceLayers(s));

