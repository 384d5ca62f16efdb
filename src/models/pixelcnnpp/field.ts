// PixelCNN++'s reference receptive field (props' full-past law), written from the architecture's
// description (the paper's Figure 2 and openai/pixel-cnn's shift and conv definitions) rather than
// from the model code: bitsets of image pixels propagated through every map of both streams at the
// three resolutions. Every feature of a map position sees the same pixels (no channel groups), so a
// map is one bitset per position:
//   - a shifted conv at stride 1: output (r, c) unions input (r + dy, c + dx) over its rectangle —
//     dy in −(kh−1)..0; dx in −⌊kw/2⌋..⌊kw/2⌋ ('down') or −(kw−1)..0 ('downRight');
//   - stride 2 (openai: pad above and at the sides, conv 'valid', stride 2): output (i, j) covers
//     input rows 2i−(kh−1)..2i and the columns around 2j as above;
//   - transposed, stride 2 (openai: conv2d_transpose 'valid', then crop): coarse (a, b) is written to
//     (2a + ky, 2b + kx) for every kernel position, then rows from 0 and columns from ⌊kw/2⌋ ('down')
//     or 0 ('downRight') are kept;
//   - downShift / rightShift: the map one row down / one column right, zeros in;
//   - a gated block: its input ∪ conv₂(conv₁(input) ∪ aux at the same position).
// The head at a pixel sees what ul sees there; channel c of a pixel then sees those pixels (every
// channel) and, through the logistic mixture's coefficients, channels < c of the pixel itself.
// The field grows with depth and resolution; for the images the tests use it is the whole past
// (pixelcnnpp.props.spec.ts), and it has no blind spot at any size: a pixel's field only misses
// pixels too far away for the depth (along its own row, on odd rows, 1 + 2·(2·nrResnet + 1) columns to the left: the full-resolution
// ul convs only).

import { emptyDependence, type Dependence } from '../../receptiveField.js';
import type { PixelCnnPpSpec } from './spec.js';

interface FieldMap {
  readonly h: number;
  readonly w: number;
  readonly words: number;
  readonly bits: Uint32Array; // [(r·w + c)·words + k]
}

const empty = (h: number, w: number, words: number): FieldMap => ({ h, w, words, bits: new Uint32Array(h * w * words) });

const orAt = (dst: FieldMap, d: number, src: FieldMap, s: number): void => {
  for (let k = 0; k < dst.words; k++) dst.bits[d * dst.words + k]! |= src.bits[s * src.words + k]!;
};

const union = (...maps: FieldMap[]): FieldMap => {
  const out = empty(maps[0]!.h, maps[0]!.w, maps[0]!.words);
  for (const m of maps) for (let k = 0; k < out.bits.length; k++) out.bits[k]! |= m.bits[k]!;
  return out;
};

type Kind = 'down' | 'downRight';

/** Column offsets a kind's kernel reads, relative to the output column. */
const columns = (kind: Kind, kw: number): number[] =>
  kind === 'down' ? Array.from({ length: kw }, (_, k) => k - (kw - 1) / 2) : Array.from({ length: kw }, (_, k) => k - (kw - 1));

/** A shifted conv of stride 1 or 2. */
const convStep = (m: FieldMap, kind: Kind, kh: number, kw: number, stride: 1 | 2): FieldMap => {
  const h = stride === 2 ? Math.ceil(m.h / 2) : m.h;
  const w = stride === 2 ? Math.ceil(m.w / 2) : m.w;
  const out = empty(h, w, m.words);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++)
      for (let dy = -(kh - 1); dy <= 0; dy++)
        for (const dx of columns(kind, kw)) {
          const [r, c] = [stride * i + dy, stride * j + dx];
          if (r >= 0 && r < m.h && c >= 0 && c < m.w) orAt(out, i * w + j, m, r * m.w + c);
        }
  return out;
};

/** A transposed stride-2 conv onto an h×w map: scatter coarse (a, b) to (2a + ky, 2b + kx), crop. */
const deconvStep = (m: FieldMap, kind: Kind, kh: number, kw: number, h: number, w: number): FieldMap => {
  const out = empty(h, w, m.words);
  const left = kind === 'down' ? (kw - 1) / 2 : 0;
  for (let a = 0; a < m.h; a++)
    for (let b = 0; b < m.w; b++)
      for (let ky = 0; ky < kh; ky++)
        for (let kx = 0; kx < kw; kx++) {
          const [r, c] = [2 * a + ky, 2 * b + kx - left];
          if (r >= 0 && r < h && c >= 0 && c < w) orAt(out, r * w + c, m, a * m.w + b);
        }
  return out;
};

const shift = (m: FieldMap, dy: number, dx: number): FieldMap => {
  const out = empty(m.h, m.w, m.words);
  for (let r = 0; r < m.h; r++)
    for (let c = 0; c < m.w; c++) {
      const [r0, c0] = [r - dy, c - dx];
      if (r0 >= 0 && c0 >= 0) orAt(out, r * m.w + c, m, r0 * m.w + c0);
    }
  return out;
};

/** The pixels themselves: position p has seen pixel p. */
const pixels = (h: number, w: number): FieldMap => {
  const words = Math.ceil((h * w) / 32);
  const m = empty(h, w, words);
  for (let p = 0; p < h * w; p++) m.bits[p * words + (p >>> 5)] = 1 << (p & 31);
  return m;
};

/** The field of ul at full resolution after the whole network: which pixels each pixel's head reads. */
export const pixelCnnPpHeadField = (s: Pick<PixelCnnPpSpec, 'height' | 'width' | 'nrResnet'>): FieldMap => {
  const N = s.nrResnet;
  const x = pixels(s.height, s.width);
  // x ∪ conv₂(conv₁(x) ∪ aux): the residual, and the two convs of the block with the aux 1×1 between
  const uBlock = (u: FieldMap, aux?: FieldMap) => {
    const c1 = convStep(u, 'down', 2, 3, 1);
    return union(u, convStep(aux ? union(c1, aux) : c1, 'down', 2, 3, 1));
  };
  const ulBlock = (ul: FieldMap, aux: FieldMap) => union(ul, convStep(union(convStep(ul, 'downRight', 2, 2, 1), aux), 'downRight', 2, 2, 1));
  let u = shift(convStep(x, 'down', 2, 3, 1), 1, 0);
  let ul = union(shift(convStep(x, 'down', 1, 3, 1), 1, 0), shift(convStep(x, 'downRight', 2, 1, 1), 0, 1));
  const us = [u];
  const uls = [ul];
  for (let level = 0; level < 3; level++) {
    for (let r = 0; r < N; r++) {
      u = uBlock(u);
      ul = ulBlock(ul, u);
      us.push(u);
      uls.push(ul);
    }
    if (level < 2) {
      u = convStep(u, 'down', 2, 3, 2);
      ul = convStep(ul, 'downRight', 2, 2, 2);
      us.push(u);
      uls.push(ul);
    }
  }
  u = us.pop()!;
  ul = uls.pop()!;
  for (let level = 2; level >= 0; level--) {
    if (level < 2) {
      const target = us[us.length - 1]!; // the partner fixes the finer size
      u = deconvStep(u, 'down', 2, 3, target.h, target.w);
      ul = deconvStep(ul, 'downRight', 2, 2, target.h, target.w);
    }
    for (let r = 0; r < (level === 2 ? N : N + 1); r++) {
      u = uBlock(u, us.pop()!);
      ul = ulBlock(ul, union(u, uls.pop()!));
    }
  }
  return ul;
};

/**
 * The dependence set: channel c at pixel p sees every channel of the pixels the head at p reads,
 * and channels < c of p when the likelihood couples the channels of a pixel (the logistic mixture,
 * C = 3).
 */
export const pixelCnnPpField = (s: PixelCnnPpSpec): Dependence => {
  const head = pixelCnnPpHeadField(s);
  const C = s.channels;
  const d = emptyDependence(s);
  const n = d.size;
  const coupled = C > 1 && s.likelihood.kind === 'logistic-mixture';
  for (let p = 0; p < s.height * s.width; p++)
    for (let c = 0; c < C; c++) {
      const row = (p * C + c) * n;
      for (let q = 0; q < s.height * s.width; q++)
        if ((head.bits[p * head.words + (q >>> 5)]! >>> (q & 31)) & 1) for (let c2 = 0; c2 < C; c2++) d.has[row + q * C + c2] = 1;
      if (coupled) for (let c2 = 0; c2 < c; c2++) d.has[row + p * C + c2] = 1;
    }
  return d;
};
