// Cached incremental sampling for PixelCNN: each new value computes only what it changes.
//
// Every layer keeps its input map ([H·W, B, in]: the unit image for the 7×7 mask-A layer, relu of the
// residual stream for the others). At pixel p = (i, j):
//   - once per pixel, every layer's "past" sum — bias + Σ over the off-centre taps of its causal window
//     (pixels before p, already final) — for all output features;
//   - for channel c, only output group c of every layer, adding the centre tap over the input groups
//     the mask lets it see (< c for mask A, ≤ c for mask B). Groups < c at p do not change when channel
//     c is sampled (mask A hides channel c from groups ≤ c), and groups > c are computed at their own
//     step, so each pixel costs one pass of the network at one position — the forward pass's FLOPs
//     in all, spread over H·W·C steps.
//   - the head's two 1×1 layers only for group c (channel c's K logits).
// The per-pixel maths runs in plain JS over Float32Array weights with Float64 accumulators, skipping
// zero inputs (half of every post-ReLU map): on wasm one tiny tensor op costs tens of µs, more than
// the arithmetic of a whole pixel layer.

import { convLayout, type MaskedConvSpec } from '../layers/maskedConv.js';
import { channelGroup } from '../masks.js';
import type { AutoregressiveModel } from '../model.js';
import { pixelCnnLayers } from '../models/pixelcnn.js';
import type { PixelCnnSpec } from '../models/spec.js';
import type { IncrementalSampler } from './types.js';

type Role = 'input' | 'res' | 'head0' | 'head1';

interface Layer {
  readonly role: Role;
  readonly inF: number;
  readonly outF: number;
  readonly w: Float32Array; // [rows, out], centre channel mask applied
  readonly bias: Float32Array; // [out]
  readonly past: readonly { dy: number; dx: number }[];
  readonly centreRow: number; // first weight row of the centre tap, −1 when the centre is unused
  readonly groupStart: Int32Array; // output group g is features [groupStart[g], groupStart[g+1])
  readonly centreInEnd: Int32Array; // group g sees input features [0, centreInEnd[g]) at the centre
  readonly act: Float32Array | null; // input map [H·W, B, in]; null for 1×1 layers (current pixel only)
  readonly cur: Float32Array; // input at the current pixel [B, in] (1×1 layers)
  readonly pastAcc: Float64Array; // [B, out]: bias + off-centre taps at the current pixel
  readonly sum: Float64Array; // [B, out]: the layer's output at the current pixel
}

const readParam = (model: AutoregressiveModel, name: string): Float32Array => {
  const t = model.params[name];
  if (!t) throw new Error(`cachedPixelCnn: parameter '${name}' missing from the model`);
  return Float32Array.from(t.dataSync() as Float32Array);
};

const groupStarts = (n: number, channels: number): Int32Array => {
  const s = new Int32Array(channels + 1).fill(n);
  for (let f = n - 1; f >= 0; f--) s[channelGroup(f, n, channels)] = f;
  for (let g = channels - 1; g >= 0; g--) if (s[g]! > s[g + 1]!) s[g] = s[g + 1]!;
  return s;
};

const planLayer = (
  spec: MaskedConvSpec,
  role: Role,
  model: AutoregressiveModel,
  pixels: number,
  batch: number,
): Layer => {
  const { table, taps, weightMask } = convLayout(spec);
  const w = readParam(model, `${spec.name}.w`);
  if (weightMask) for (let k = 0; k < w.length; k++) w[k]! *= weightMask[k]!;
  const C = spec.channels;
  const groupStart = groupStarts(spec.outFeatures, C);
  const centreInEnd = new Int32Array(C);
  for (let g = 0; g < C; g++) {
    const o = groupStart[g]!;
    if (o >= spec.outFeatures) continue;
    let end = 0;
    while (end < spec.inFeatures && table.centre[end]![o] === 1) end++;
    for (let i = end; i < spec.inFeatures; i++)
      if (table.centre[i]![o] === 1) throw new Error(`cachedPixelCnn: layer ${spec.name}: centre mask is not a prefix`);
    centreInEnd[g] = table.centreUsed ? end : 0;
  }
  const hasWindow = taps.length > 1 || (taps.length === 1 && (taps[0]!.dy !== 0 || taps[0]!.dx !== 0));
  return {
    role,
    inF: spec.inFeatures,
    outF: spec.outFeatures,
    w,
    bias: readParam(model, `${spec.name}.b`),
    past: table.pastTaps,
    centreRow: table.centreUsed ? table.pastTaps.length * spec.inFeatures : -1,
    groupStart,
    centreInEnd,
    act: hasWindow || role === 'input' ? new Float32Array(pixels * batch * spec.inFeatures) : null,
    cur: new Float32Array(batch * spec.inFeatures),
    pastAcc: new Float64Array(batch * spec.outFeatures),
    sum: new Float64Array(batch * spec.outFeatures),
  };
};

/** acc[b, o0..o1) += Σ_k in[b, k] · w[row0 + k, o0..o1) for k < n; `in` rows are `stride` apart. */
const accumulate = (
  acc: Float64Array,
  accStride: number,
  input: Float32Array,
  inOffset: number,
  inStride: number,
  n: number,
  w: Float32Array,
  row0: number,
  outF: number,
  o0: number,
  o1: number,
  batch: number,
): void => {
  for (let k = 0; k < n; k++) {
    const wr = (row0 + k) * outF;
    for (let b = 0; b < batch; b++) {
      const a = input[inOffset + b * inStride + k]!;
      if (a === 0) continue;
      const ab = b * accStride;
      for (let o = o0; o < o1; o++) acc[ab + o]! += a * w[wr + o]!;
    }
  }
};

export const cachedPixelCnnSampler = (model: AutoregressiveModel, batch: number): IncrementalSampler => {
  const spec = model.spec as PixelCnnSpec;
  if (spec.family !== 'pixelcnn') throw new Error(`cachedPixelCnn: expected family 'pixelcnn', found '${spec.family}'`);
  const { height: H, width: W, channels: C, levels: K } = spec;
  const specs = pixelCnnLayers(spec);
  const roles: Role[] = specs.map((s, n) => (n === 0 ? 'input' : s.name.startsWith('res') ? 'res' : (s.name as Role)));
  const layers = specs.map((s, n) => planLayer(s, roles[n]!, model, H * W, batch));
  const input = layers[0]!;
  const h = spec.hidden;
  const stream = new Float64Array(batch * h); // residual stream at the current pixel [B, h]
  const last = layers[layers.length - 1]!; // head1
  const bernoulli = spec.head === 'bernoulli';
  const scale = 2 / (K - 1);

  let pixel = 0; // current pixel (raster index)
  let groups = 0; // groups of `pixel` computed so far in every layer

  /** Input of layer l at pixel p as (array, offset): its map, or its current-pixel buffer. */
  const inputAt = (l: Layer, p: number): [Float32Array, number] => (l.act ? [l.act, p * batch * l.inF] : [l.cur, 0]);

  /** Store relu(v) as the input of layer l at pixel p for features o0..o1. */
  const storeRelu = (l: Layer, p: number, v: Float64Array, vStride: number, o0: number, o1: number) => {
    const [arr, off] = inputAt(l, p);
    for (let b = 0; b < batch; b++)
      for (let o = o0; o < o1; o++) {
        const x = v[b * vStride + o]!;
        arr[off + b * l.inF + o] = x > 0 ? x : 0;
      }
  };

  const beginPixel = (p: number) => {
    const i = Math.floor(p / W);
    const j = p % W;
    for (const l of layers) {
      const acc = l.pastAcc;
      for (let b = 0; b < batch; b++) acc.set(l.bias, b * l.outF);
      if (!l.act) continue;
      l.past.forEach(({ dy, dx }, t) => {
        const y = i + dy;
        const x = j + dx;
        if (y < 0 || x < 0 || x >= W) return; // causal zero padding
        accumulate(acc, l.outF, l.act!, (y * W + x) * batch * l.inF, l.inF, l.inF, l.w, t * l.inF, l.outF, 0, l.outF, batch);
      });
    }
  };

  /** Output group g of every layer at pixel p; the head only when `head`. */
  const computeGroup = (p: number, g: number, head: boolean) => {
    for (let n = 0; n < layers.length; n++) {
      const l = layers[n]!;
      if (!head && (l.role === 'head0' || l.role === 'head1')) return;
      const o0 = l.groupStart[g]!;
      const o1 = l.groupStart[g + 1]!;
      const sum = l.sum; // this group's outputs: past + centre
      for (let b = 0; b < batch; b++)
        for (let o = o0; o < o1; o++) sum[b * l.outF + o] = l.pastAcc[b * l.outF + o]!;
      if (l.centreRow >= 0 && l.centreInEnd[g]! > 0) {
        const [arr, off] = inputAt(l, p);
        accumulate(sum, l.outF, arr, off, l.inF, l.centreInEnd[g]!, l.w, l.centreRow, l.outF, o0, o1, batch);
      }
      const next = layers[n + 1];
      if (l.role === 'input' || l.role === 'res') {
        // residual stream: features = conv(x), then features += conv(relu(features)) per layer
        for (let b = 0; b < batch; b++)
          for (let o = o0; o < o1; o++) {
            const v = sum[b * h + o]!;
            stream[b * h + o] = l.role === 'input' ? v : stream[b * h + o]! + v;
          }
        if (next) storeRelu(next, p, stream, h, o0, o1);
      } else if (l.role === 'head0' && next) storeRelu(next, p, sum, l.outF, o0, o1);
    }
  };

  const finishPixel = () => {
    if (groups === 0) beginPixel(pixel);
    for (let g = groups; g < C; g++) computeGroup(pixel, g, false);
    pixel++;
    groups = 0;
  };

  return {
    batch,
    kind: 'cached-pixelcnn',
    logitsAt: (i, j, c) => {
      const p = i * W + j;
      if (p < pixel || (p === pixel && c < groups))
        throw new Error(`cachedPixelCnn: logitsAt(${i}, ${j}, ${c}) asked after that position was passed`);
      while (pixel < p) finishPixel();
      if (groups === 0) beginPixel(p);
      for (let g = groups; g < c; g++) computeGroup(p, g, false);
      computeGroup(p, c, true);
      groups = c + 1;
      const v = new Float32Array(batch * K);
      const out = last.sum;
      const outF = last.outF;
      for (let b = 0; b < batch; b++) {
        if (bernoulli) {
          v[b * K] = 0;
          v[b * K + 1] = out[b * outF + c]!;
        } else for (let k = 0; k < K; k++) v[b * K + k] = out[b * outF + c * K + k]!;
      }
      return v;
    },
    commit: (i, j, c, values) => {
      const base = (i * W + j) * batch * C;
      for (let b = 0; b < batch; b++) input.act![base + b * C + c] = values[b]! * scale - 1;
    },
    dispose: () => {},
  };
};
