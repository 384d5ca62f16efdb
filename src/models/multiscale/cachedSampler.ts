// Multi-Scale PixelRNN's cached sampler, an incremental sampler over the family's own order
// (order.ts): the small s×s' image first — the small network's cached PixelRNN sampler ('small.'
// weights), at small coordinates (i/f, j/f) — then every other pixel in raster order — the
// conditional network's cached sampler ('large.' weights, the condition map of the finished small
// image as a per-layer gate bias, computed once per batch). The conditional sampler needs every
// earlier position of its raster order committed; the small positions among them are committed from
// the values kept in phase 1, just before they are needed.

import type { AutoregressiveModel } from '../../model.js';
import type { IncrementalSampler } from '../../sampling/types.js';
import { tf, type Tensor4D } from '../../tf.js';
import { cachedPixelRnn } from '../pixelrnn/cachedSampler.js';
import { classesOf, labelMap, labelsTensor } from '../../conditioning.js';
import { largeCondition, largeSpecOf, smallSpecOf } from './network.js';
import { positionOf } from '../../sampling/order.js';
import { isSmallPosition } from './order.js';
import type { MultiscaleSpec } from './spec.js';

export const cachedMultiscaleSampler = (model: AutoregressiveModel<MultiscaleSpec>, batch: number, labels?: Int32Array): IncrementalSampler => {
  const spec = model.spec;
  const { height: H, width: W, channels: C, factor: f } = spec;
  const [s, s2] = [H / f, W / f];
  const B = batch;
  const smallValues = new Float32Array(B * s * s2 * C); // [B, s, s', C] levels, as committed
  let smallLeft = s * s2 * C; // values of the small image not committed yet
  const classes = classesOf(spec);
  if (classes > 0 && (!labels || labels.length !== B))
    throw new Error(`cachedMultiscale: a class-conditional model needs ${B} labels, found ${labels ? labels.length : 'none'}`);
  const y = classes > 0 ? labelsTensor(labels!) : undefined; //                    [B]
  let small: IncrementalSampler | null = (() => {
    const condition = y ? labelMap(y, classes, s, s2) : undefined; //                  [B, s, s', classes]
    try {
      return cachedPixelRnn(smallSpecOf(spec), model.params, B, { prefix: 'small.', ...(condition ? { condition } : {}) });
    } finally {
      condition?.dispose();
    }
  })();
  let large: IncrementalSampler | null = null;
  let cursor = 0; // next flat raster index the conditional sampler has not seen
  const values = new Float32Array(B);

  const startLarge = (i: number, j: number, c: number): IncrementalSampler => {
    if (smallLeft > 0)
      throw new Error(`cachedMultiscale: position (${i}, ${j}, ${c}) reached with ${smallLeft} values of the small image not committed`);
    small?.dispose();
    small = null;
    const smallImage = tf.tensor4d(smallValues, [B, s, s2, C]) as Tensor4D; //   [B, s, s', C]
    const condition = largeCondition(spec, model.params, smallImage, B, y); //    [B, n, m, c (+ classes)]
    try {
      return cachedPixelRnn(largeSpecOf(spec), model.params, B, { prefix: 'large.', condition });
    } finally {
      tf.dispose([smallImage, condition]); // read into the sampler's own buffers
    }
  };

  /** The conditional sampler, with every small position before flat index q committed to it. */
  const largeUpTo = (i: number, j: number, c: number): IncrementalSampler => {
    large ??= startLarge(i, j, c);
    const q = (i * W + j) * C + c;
    for (; cursor < q; cursor++) {
      const { i: ii, j: jj, c: cc } = positionOf(spec, cursor);
      if (!isSmallPosition(f, ii, jj)) throw new Error(`cachedMultiscale: position (${ii}, ${jj}, ${cc}) was skipped`);
      for (let b = 0; b < B; b++) values[b] = smallValues[((b * s + ii / f) * s2 + jj / f) * C + cc]!;
      large.commit(ii, jj, cc, values);
    }
    return large;
  };

  const smallSampler = (i: number, j: number, c: number): IncrementalSampler => {
    if (!small) throw new Error(`cachedMultiscale: small position (${i}, ${j}, ${c}) after the small image was finished`);
    return small;
  };

  return {
    batch,
    kind: 'cached-multiscale',
    headAt: (i, j, c) =>
      isSmallPosition(f, i, j) ? smallSampler(i, j, c).headAt(i / f, j / f, c) : largeUpTo(i, j, c).headAt(i, j, c),
    commit: (i, j, c, v) => {
      if (isSmallPosition(f, i, j)) {
        smallSampler(i, j, c).commit(i / f, j / f, c, v);
        for (let b = 0; b < B; b++) smallValues[((b * s + i / f) * s2 + j / f) * C + c] = v[b]!;
        smallLeft--;
      } else {
        largeUpTo(i, j, c).commit(i, j, c, v);
        cursor = (i * W + j) * C + c + 1;
      }
    },
    dispose: () => {
      y?.dispose();
      small?.dispose();
      large?.dispose();
      small = large = null;
    },
  };
};
