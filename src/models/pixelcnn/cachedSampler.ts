// Cached incremental sampling for PixelCNN: each new value computes only what it changes.
//
// Every layer keeps its input map ([H·W, B, in]: the unit image for the first, mask-A layer, relu of
// the residual stream for the others). Then:
//   - once per row i, every layer's taps in the rows above (final since row i − 1 finished) for the
//     whole row in one matMul on the backend: [W·B, above taps·in] × [above taps·in, out], plus bias;
//   - once per pixel, the taps left of it in its own row (plain JS);
//   - per channel c, only output group c of every layer: the centre tap over the input groups the
//     mask lets it see (< c for mask A, ≤ c for mask B), then relu into the next layer's map. Groups < c
//     at the pixel do not change when channel c is sampled (mask A hides channel c from groups ≤ c)
//     and groups > c are computed at their own step, so every pixel is computed once in all;
//   - the head's two 1×1 layers only for group c: channel c's block of the head (what the likelihood reads).
// Per-pixel maths runs in plain JS (sampling/positionMath.ts: Float32Array weights, Float64 sums, zero
// inputs skipped — half of every post-ReLU map). The big, regular part (rows above) goes to the
// backend's matMul. Layer roles come from the model's own layer list (network.ts pixelCnnLayers).

import { convLayout, type MaskedConvSpec } from '../../layers/maskedConv.js';
import type { AutoregressiveModel } from '../../model.js';
import { classBiasName, classesOf } from '../../conditioning.js';
import { groupStarts, readParam, SparseRow } from '../../sampling/positionMath.js';
import type { IncrementalSampler } from '../../sampling/types.js';
import { tf, type Tensor2D } from '../../tf.js';
import { pixelCnnLayers, type PixelCnnRole } from './network.js';
import type { PixelCnnSpec } from './spec.js';

type Role = PixelCnnRole;
const WHO = 'cachedPixelCnn';

interface Layer {
  readonly role: Role;
  readonly inF: number;
  readonly outF: number;
  readonly w: Float32Array; // [rows, out], centre channel mask applied; rows: above taps, left taps, centre
  readonly bias: Float32Array; // [B, out]: the bias, plus each image's class bias when conditional
  readonly above: readonly { dy: number; dx: number }[]; // taps in rows above, weight rows [0, above·in)
  readonly left: readonly number[]; // dx of taps left in the same row, weight rows after the above ones
  readonly aboveW: Tensor2D | null; // [above·in, out] on the backend
  readonly centreRow: number; // first weight row of the centre tap, −1 when the centre is unused
  readonly groupStart: Int32Array; // output group g is features [groupStart[g], groupStart[g+1])
  readonly centreInEnd: Int32Array; // group g sees input features [0, centreInEnd[g]) at the centre
  readonly act: Float32Array | null; // input map [H·W, B, in]; null for 1×1 layers (current pixel only)
  readonly cur: Float32Array; // input at the current pixel [B, in] (layers without a window)
  readonly rowAcc: Float32Array; // [W, B, out]: bias + rows-above taps for the current row
  readonly pastAcc: Float64Array; // [B, out]: rowAcc + left taps at the current pixel
  readonly sum: Float64Array; // [B, out]: the layer's output at the current pixel
}

const planLayer = (
  spec: MaskedConvSpec,
  role: Role,
  model: AutoregressiveModel,
  H: number,
  W: number,
  batch: number,
  labels: Int32Array | undefined,
): Layer => {
  const { table, weightMask } = convLayout(spec);
  const w = readParam(model.params, `${spec.name}.w`, WHO);
  if (weightMask) for (let k = 0; k < w.length; k++) w[k]! *= weightMask[k]!;
  const C = spec.channels;
  const groupStart = groupStarts(spec.outFeatures, C);
  const centreInEnd = new Int32Array(C);
  for (let g = 0; g < C; g++) {
    const o = groupStart[g]!;
    if (o >= spec.outFeatures || !table.centreUsed) continue;
    let end = 0;
    while (end < spec.inFeatures && table.centre[end]![o] === 1) end++;
    for (let i = end; i < spec.inFeatures; i++)
      if (table.centre[i]![o] === 1) throw new Error(`cachedPixelCnn: layer ${spec.name}: centre mask is not a prefix`);
    centreInEnd[g] = end;
  }
  const above = table.pastTaps.filter((t) => t.dy < 0);
  const left = table.pastTaps.filter((t) => t.dy === 0).map((t) => t.dx);
  // pastTaps are in raster order: every above tap precedes every left tap, as in the weight rows
  const aboveRows = above.length * spec.inFeatures;
  const hasWindow = table.pastTaps.length > 0;
  return {
    role,
    inF: spec.inFeatures,
    outF: spec.outFeatures,
    w,
    bias: imageBiases(model, spec, batch, labels),
    above,
    left,
    aboveW: aboveRows > 0 ? tf.tensor2d(w.subarray(0, aboveRows * spec.outFeatures), [aboveRows, spec.outFeatures]) : null,
    centreRow: table.centreUsed ? table.pastTaps.length * spec.inFeatures : -1,
    groupStart,
    centreInEnd,
    act: hasWindow || role === 'input' ? new Float32Array(H * W * batch * spec.inFeatures) : null,
    cur: new Float32Array(batch * spec.inFeatures),
    rowAcc: new Float32Array(W * batch * spec.outFeatures),
    pastAcc: new Float64Array(batch * spec.outFeatures),
    sum: new Float64Array(batch * spec.outFeatures),
  };
};

/** A layer's bias for every image of the batch [B, out]: b, plus E[y_b] for a class-conditional model. */
const imageBiases = (model: AutoregressiveModel, spec: MaskedConvSpec, batch: number, labels: Int32Array | undefined): Float32Array => {
  const bias = readParam(model.params, `${spec.name}.b`, WHO);
  const out = new Float32Array(batch * spec.outFeatures);
  const table = classesOf(model.spec) > 0 ? readParam(model.params, classBiasName(spec.name), WHO) : null;
  if (table && (!labels || labels.length !== batch))
    throw new Error(`${WHO}: a class-conditional model needs ${batch} labels, found ${labels ? labels.length : 'none'}`);
  for (let b = 0; b < batch; b++)
    for (let o = 0; o < spec.outFeatures; o++)
      out[b * spec.outFeatures + o] = bias[o]! + (table ? table[labels![b]! * spec.outFeatures + o]! : 0);
  return out;
};

export const cachedPixelCnnSampler = (model: AutoregressiveModel, batch: number, labels?: Int32Array): IncrementalSampler => {
  const spec = model.spec as PixelCnnSpec;
  if (spec.family !== 'pixelcnn') throw new Error(`cachedPixelCnn: expected family 'pixelcnn', found '${spec.family}'`);
  const { height: H, width: W, channels: C, levels: K } = spec;
  const layers = pixelCnnLayers(spec).map((l) => planLayer(l.conv, l.role, model, H, W, batch, labels));
  const input = layers[0]!;
  const last = layers[layers.length - 1]!; // head1
  const h = spec.hidden;
  const stream = new Float64Array(batch * h); // residual stream at the current pixel [B, h]
  const sparse = new SparseRow(Math.max(...layers.map((l) => l.w.length / l.outF)));
  const scale = 2 / (K - 1);
  const P = last.outF; // head features per pixel, C·F
  const head = new Float32Array(batch * P); // [B, C·F] at the current pixel: blocks ≤ c are final

  let row = -1; // row whose rowAcc is ready
  let pixel = 0; // current pixel (raster index)
  let groups = 0; // groups of `pixel` computed so far in every layer
  let disposed = false;

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

  /** Bias + the taps in rows above, for every pixel of row i and every layer: one matMul a layer. */
  const beginRow = (i: number) => {
    for (const l of layers) {
      const { rowAcc, bias, outF, inF } = l;
      for (let j = 0; j < W; j++) rowAcc.set(bias, j * batch * outF); // [W, B, out]: each image's bias
      if (!l.aboveW || i === 0) continue;
      const rows = l.above.length * inF;
      const cols = new Float32Array(W * batch * rows); // [W·B, above·in], zero outside the image
      l.above.forEach(({ dy, dx }, t) => {
        const y = i + dy;
        if (y < 0) return;
        for (let j = 0; j < W; j++) {
          const x = j + dx;
          if (x < 0 || x >= W) continue;
          const src = (y * W + x) * batch * inF;
          const act = l.act!;
          for (let b = 0; b < batch; b++) {
            const from = src + b * inF;
            const to = (j * batch + b) * rows + t * inF;
            for (let k = 0; k < inF; k++) cols[to + k] = act[from + k]!;
          }
        }
      });
      const product = tf.tidy(() => tf.matMul(tf.tensor2d(cols, [W * batch, rows]), l.aboveW!)); // [W·B, out]
      const data = product.dataSync();
      product.dispose();
      for (let n = 0; n < rowAcc.length; n++) rowAcc[n]! += data[n]!;
    }
    row = i;
  };

  /** rowAcc + the taps left of pixel p in its own row, all output features. */
  const beginPixel = (p: number) => {
    const i = Math.floor(p / W);
    const j = p % W;
    if (row !== i) beginRow(i);
    for (const l of layers) {
      const { pastAcc, outF, inF } = l;
      for (let n = 0; n < batch * outF; n++) pastAcc[n] = l.rowAcc[j * batch * outF + n]!;
      if (!l.left.length) continue;
      const row0 = l.above.length * inF;
      for (let b = 0; b < batch; b++) {
        sparse.reset();
        l.left.forEach((dx, t) => {
          if (j + dx >= 0) sparse.gather(l.act!, (p + dx) * batch * inF + b * inF, inF, row0 + t * inF, outF);
        });
        sparse.addInto(pastAcc, b * outF, l.w, 0, outF);
      }
    }
  };

  /** Output group g of every layer at pixel p; the head only when `head`. */
  const computeGroup = (p: number, g: number, head: boolean) => {
    for (let n = 0; n < layers.length; n++) {
      const l = layers[n]!;
      if (!head && (l.role === 'head0' || l.role === 'head1')) return;
      const { sum, outF, inF } = l;
      const o0 = l.groupStart[g]!;
      const o1 = l.groupStart[g + 1]!;
      for (let b = 0; b < batch; b++) for (let o = o0; o < o1; o++) sum[b * outF + o] = l.pastAcc[b * outF + o]!;
      const seen = l.centreInEnd[g]!;
      if (l.centreRow >= 0 && seen > 0) {
        const [arr, off] = inputAt(l, p);
        for (let b = 0; b < batch; b++) {
          sparse.reset();
          sparse.gather(arr, off + b * inF, seen, l.centreRow, outF);
          sparse.addInto(sum, b * outF, l.w, o0, o1);
        }
      }
      const next = layers[n + 1];
      if (l.role === 'input' || l.role === 'residual') {
        // the residual stream: features = conv(x), then features += conv(relu(features)) per layer
        for (let b = 0; b < batch; b++)
          for (let o = o0; o < o1; o++) {
            const v = sum[b * h + o]!;
            stream[b * h + o] = l.role === 'input' ? v : stream[b * h + o]! + v;
          }
        if (next) storeRelu(next, p, stream, h, o0, o1);
      } else if (l.role === 'head0' && next) storeRelu(next, p, sum, outF, o0, o1);
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
    headAt: (i, j, c) => {
      if (disposed) throw new Error('cachedPixelCnn: sampler used after dispose');
      const p = i * W + j;
      if (p < pixel || (p === pixel && c < groups))
        throw new Error(`cachedPixelCnn: headAt(${i}, ${j}, ${c}) asked after that position was passed`);
      while (pixel < p) finishPixel();
      if (groups === 0) beginPixel(p);
      for (let g = groups; g < c; g++) computeGroup(p, g, false);
      computeGroup(p, c, true);
      groups = c + 1;
      const out = last.sum;
      const [f0, f1] = [last.groupStart[c]!, last.groupStart[c + 1]!];
      for (let b = 0; b < batch; b++) for (let f = f0; f < f1; f++) head[b * P + f] = out[b * P + f]!;
      return Float32Array.from(head);
    },
    commit: (i, j, c, values) => {
      const base = (i * W + j) * batch * C;
      for (let b = 0; b < batch; b++) input.act![base + b * C + c] = values[b]! * scale - 1;
    },
    dispose: () => {
      if (disposed) return;
      disposed = true;
      for (const l of layers) l.aboveW?.dispose();
    },
  };
};
