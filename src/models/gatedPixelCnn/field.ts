// Gated PixelCNN's reference receptive field (props' full-past law), written from the architecture's
// description (network.ts header, the paper's §2.2) rather than from the model code or src/masks.ts:
//   - the vertical stack at (i, j) sees every channel of the rows it reads: the ⌊k/2⌋ rows above,
//     k wide, in the first layer; the previous vertical map's (⌊k/2⌋+1)×k rectangle ending at its own
//     row after that — so v only ever holds rows above i;
//   - the horizontal stack: a 1×k masked layer (taps left of the centre, and the centre's channel
//     groups by mask A first, mask B after), plus the vertical stack's output at the same pixel
//     (the link), gated per channel group, a 1×1 mask B, plus the residual stream;
//   - the head: the sum of every horizontal layer (skip), two 1×1 mask-B layers.
// With enough layers for the image (each adds ⌊k/2⌋ rows and columns) this is the whole past:
// there is no blind spot (props/gatedPixelCnn.props.spec.ts shows it beside PixelCNN's).

import { inputState, maskedStep, orInto, toDependence, unionState, type Dependence, type FieldState } from '../../receptiveField.js';
import type { ImageShape } from '../../model.js';
import type { GatedPixelCnnSpec } from './spec.js';

/** A vertical layer: every group at (i, j) sees every group at (i + dy, j + dx), dy in −cy..(ownRow ? 0 : −1), |dx| ≤ cx. */
export const verticalStep = (s: ImageShape, state: FieldState, k: number, ownRow: boolean): FieldState => {
  const { height: H, width: W, channels: C } = s;
  const { words } = state;
  const next = new Uint32Array(state.bits.length);
  const r = Math.floor(k / 2);
  for (let i = 0; i < H; i++)
    for (let j = 0; j < W; j++)
      for (let g = 0; g < C; g++)
        for (let dy = -r; dy <= (ownRow ? 0 : -1); dy++)
          for (let dx = -r; dx <= r; dx++) {
            const [ii, jj] = [i + dy, j + dx];
            if (ii < 0 || jj < 0 || jj >= W) continue; // zero padding
            for (let g2 = 0; g2 < C; g2++) orInto(next, (i * W + j) * C + g, state.bits, (ii * W + jj) * C + g2, words);
          }
  return { words, bits: next };
};

export const gatedPixelCnnField = (s: GatedPixelCnnSpec): Dependence => {
  const image = inputState(s);
  let v = image;
  let h = image;
  let skip: FieldState | null = null;
  for (let l = 0; l < s.layers; l++) {
    const first = l === 0;
    const k = first ? s.firstKernel : s.kernel;
    v = verticalStep(s, v, k, !first); //                                             vertical stack (its gate keeps the field)
    const ah = unionState(maskedStep(s, h, { kh: 1, kw: k, type: first ? 'A' : 'B', residual: false }), v); // 1×k + link
    const y = maskedStep(s, ah, { kh: 1, kw: 1, type: 'B', residual: false }); //       gate (per group), 1×1 mask B
    h = first ? y : unionState(h, y); //                                              residual
    skip = skip ? unionState(skip, h) : h;
  }
  const head = { kh: 1, kw: 1, type: 'B' as const, residual: false };
  return toDependence(s, maskedStep(s, maskedStep(s, skip!, head), head));
};
