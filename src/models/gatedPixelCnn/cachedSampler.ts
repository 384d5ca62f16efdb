// Cached incremental sampling for Gated PixelCNN, as Fast PixelCNN++ (Ramachandran et al. 2017)
// caches its two streams: the vertical stack once per row, the horizontal stack once per pixel.
//
//   - Once per row i, for every layer in turn, the whole row of the vertical stack: its taps read
//     image rows < i (first layer) or rows ≤ i of the previous vertical map, all final by then —
//     one backend matMul a layer, [W·B, taps·in] × [taps·in, 2p], gated in JS into v' — and the
//     link's contribution to the horizontal pre-activation a_h of every pixel of the row, a second
//     matMul [W·B, p] × [p, 2p] (plus the biases). Vertical maps are kept as rings of the ⌊k/2⌋+1
//     rows the next layer reads.
//   - Once per pixel, every layer's taps left of it in its own row (plain JS, all 2p outputs).
//   - Per channel c, only channel group c of every layer (f and g columns of group c, their gate, the
//     1×1 mask B output and the residual sum), the centre tap reading the input groups the mask lets
//     it see (< c for mask A, ≤ c for mask B), then the skip sum and the head's two 1×1 layers for
//     group c: channel c's block of the head. Groups < c do not change when channel c is committed;
//     groups > c are computed at their own step, so each pixel is computed once in all.
// Per-pixel products run for the whole batch at once in wasm (sampling/pixelMemory.ts, the kernel
// kernels/causalConv.ts segmentGemm; float32 sums, as in the network's forward pass), the gates and
// the element-wise sums in plain JS over the same memory. The plan is read from
// the model's own layer list (network.ts gatedLayout), not from parameter names.

import { classBiasName, classesOf } from '../../conditioning.js';
import { convLayout, type MaskedConvSpec } from '../../layers/maskedConv.js';
import type { AutoregressiveModel } from '../../model.js';
import { PixelMemory } from '../../sampling/pixelMemory.js';
import { groupStarts, readParam } from '../../sampling/positionMath.js';
import type { IncrementalSampler } from '../../sampling/types.js';
import { tf, type Tensor2D } from '../../tf.js';
import { gatedLayout, horizontalMask } from './network.js';
import type { GatedPixelCnnSpec } from './spec.js';

const WHO = 'cachedGatedPixelCnn';

/** A 1×1 or 1×k masked conv's centre: output group g sees input features [0, end[g]) (the masks make this a prefix). */
const centreEnds = (spec: MaskedConvSpec): Int32Array => {
  const { table } = convLayout(spec);
  const starts = groupStarts(spec.outFeatures, spec.channels);
  return Int32Array.from({ length: spec.channels }, (_, g) => {
    const o = starts[g]!;
    if (!table.centreUsed || o >= spec.outFeatures) return 0;
    let end = 0;
    while (end < spec.inFeatures && table.centre[end]![o] === 1) end++;
    for (let i = end; i < spec.inFeatures; i++)
      if (table.centre[i]![o] === 1) throw new Error(`${WHO}: layer ${spec.name}: centre mask is not a prefix`);
    return end;
  });
};

/** A 1×1 masked conv's weights [in, out] with its centre mask applied, in the sampler's memory, and its bias. */
const pointwise = (spec: MaskedConvSpec, model: AutoregressiveModel, put: (values: Float32Array) => number) => {
  const { weightMask } = convLayout(spec);
  const w = readParam(model.params, `${spec.name}.w`, WHO);
  if (weightMask) for (let k = 0; k < w.length; k++) w[k]! *= weightMask[k]!;
  return { w: put(w), bias: readParam(model.params, `${spec.name}.b`, WHO), ends: centreEnds(spec), outF: spec.outFeatures };
};

interface Layer {
  readonly first: boolean;
  // vertical stack
  readonly cy: number;
  readonly cx: number;
  readonly kw: number;
  readonly vTaps: number;
  readonly vIn: number;
  readonly vW: Tensor2D; // [taps·in, 2p] on the backend
  readonly linkW: Tensor2D; // [p, 2p] on the backend
  readonly vBias: Float64Array; // [B, 2p]: b_v (+ the image's class vector)
  readonly hBias: Float64Array; // [B, 2p]: b_h + b_link (+ the image's class vector), added to every a_h
  readonly vRow: Float32Array; // [W, B, p]: this layer's v' along the current row
  readonly ring: Float32Array | null; // this layer's v' rows, for the next layer: [rows, W, B, p]
  readonly ringRows: number;
  // horizontal stack
  readonly hIn: number;
  readonly left: readonly number[]; // dx of the taps left of the centre, in weight-row order
  readonly centreRow: number; // first weight row of the centre tap (−1: unused)
  readonly centreEnd: Int32Array; // group g of f and of g sees input features [0, centreEnd[g]) at the centre
  // in the sampler's memory (offsets in floats):
  readonly hW: number; // [rows, 2p], centre mask applied
  readonly out: ReturnType<typeof pointwise>;
  readonly rowAcc: number; // [W, B, 2p]: hBias + link(a_v) for the current row
  readonly ah: number; // [B, 2p] at the current pixel: rowAcc + the left taps, then the centre of each group
  readonly gated: number; // [B, p] at the current pixel
  readonly y: number; // [B, p]: the 1×1 out at the current pixel
  readonly hRow: number; // [W, B, p]: this layer's horizontal output along the current row
}

export const cachedGatedPixelCnnSampler = (model: AutoregressiveModel, batch: number, labels?: Int32Array): IncrementalSampler => {
  const spec = model.spec as GatedPixelCnnSpec;
  if (spec.family !== 'gated-pixelcnn') throw new Error(`${WHO}: expected family 'gated-pixelcnn', found '${spec.family}'`);
  const conditional = classesOf(spec) > 0;
  if (conditional && (!labels || labels.length !== batch))
    throw new Error(`${WHO}: a class-conditional model needs ${batch} labels, found ${labels ? labels.length : 'none'}`);
  /** Each image's bias [B, 2p]: `base`, plus its label's row of the conv's class table when conditional. */
  const perImage = (base: Float32Array, conv: string): Float64Array => {
    const table = conditional ? readParam(model.params, classBiasName(conv), WHO) : null;
    const n = base.length;
    return Float64Array.from({ length: batch * n }, (_, k) => base[k % n]! + (table ? table[labels![Math.floor(k / n)]! * n + (k % n)]! : 0));
  };
  const { height: H, width: W, channels: C, levels: K } = spec;
  const B = batch;
  const p = spec.hidden;
  const P2 = 2 * p;
  const G = groupStarts(p, C); // group g of p features: [G[g], G[g+1])
  const L = gatedLayout(spec);
  const nextRing = Math.floor(spec.kernel / 2) + 1; // rows of v the layers after the first read
  const mem = new PixelMemory();
  const fill: [number, Float32Array][] = []; // weights to copy in once the memory is ready
  const put = (values: Float32Array): number => {
    const at = mem.alloc(values.length);
    fill.push([at, values]);
    return at;
  };

  const layers: Layer[] = L.layers.map((l, n) => {
    const v = l.vertical;
    const rows = v.taps * v.inFeatures;
    const bl = readParam(model.params, `${l.link.name}.b`, WHO);
    const bh = readParam(model.params, `${l.horizontal.name}.b`, WHO);
    const { table } = convLayout(l.horizontal);
    const wh = readParam(model.params, `${l.horizontal.name}.w`, WHO); // [rows, 2p]
    const mask = horizontalMask(l.horizontal);
    if (mask) for (let k = 0; k < wh.length; k++) wh[k]! *= mask[k]!;
    const last = n === L.layers.length - 1;
    return {
      first: l.first,
      cy: v.cy,
      cx: v.cx,
      kw: v.kw,
      vTaps: v.taps,
      vIn: v.inFeatures,
      vW: tf.tensor2d(readParam(model.params, `${v.name}.w`, WHO), [rows, P2]),
      linkW: tf.tensor2d(readParam(model.params, `${l.link.name}.w`, WHO), [p, P2]),
      vBias: perImage(readParam(model.params, `${v.name}.b`, WHO), v.name),
      hBias: perImage(Float32Array.from({ length: P2 }, (_, o) => bh[o]! + bl[o]!), l.horizontal.name),
      vRow: new Float32Array(W * B * p),
      ring: last ? null : new Float32Array(nextRing * W * B * p),
      ringRows: nextRing,
      hIn: l.horizontal.inFeatures,
      left: table.pastTaps.map((t) => t.dx),
      centreRow: table.centreUsed ? table.pastTaps.length * l.horizontal.inFeatures : -1,
      centreEnd: centreEnds(l.horizontal),
      hW: put(wh),
      out: pointwise(l.out, model, put),
      rowAcc: mem.alloc(W * B * P2),
      ah: mem.alloc(B * P2),
      gated: mem.alloc(B * p),
      y: mem.alloc(B * p),
      hRow: mem.alloc(W * B * p),
    };
  });
  const head0 = pointwise(L.head0, model, put);
  const head1 = pointwise(L.head1, model, put);
  const hh = L.head0.outFeatures;
  const HG = groupStarts(hh, C);
  const PF = L.head1.outFeatures; // C·F
  const FG = groupStarts(PF, C);

  const unit = mem.alloc(H * W * B * C); // the image in [−1, 1], [H·W, B, C]
  const scale = 2 / (K - 1);
  const skip = new Float64Array(B * p); // Σ of every layer's h at the current pixel
  const skipRelu = mem.alloc(B * p);
  const hidden = mem.alloc(B * hh); // relu'd in place
  const logits = mem.alloc(B * PF);
  const head = new Float32Array(B * PF); // [B, C·F] at the current pixel: blocks ≤ c are final
  mem.ready(Math.max(1, ...layers.map((l) => l.left.length)));
  const f32 = mem.f32;
  for (const [at, values] of fill) f32.set(values, at);

  /** acc[b·ldo + n] += Σ_{k<K} x[b·ldx + k] · w[k·ldw + n] for every image b, n < N: one product for the batch. */
  const gemm = (acc: number, ldo: number, N: number, x: number, ldx: number, K: number, w: number, ldw: number) => {
    if (K <= 0) return;
    mem.clear();
    mem.seg(x, K, w);
    mem.gemm(acc, ldo, B, N, ldx, ldw);
  };

  let row = -1; // row whose vertical stack and rowAcc are ready
  let pixel = 0; // current pixel (raster index)
  let groups = 0; // groups of `pixel` computed so far in every layer
  let disposed = false;

  /** The vertical stack for row i, layer by layer: a_v gated into v' (and the ring), the link of v' into rowAcc. */
  const beginRow = (i: number) => {
    layers.forEach((l, n) => {
      const inF = l.vIn;
      const rows = l.vTaps * inF;
      const cols = new Float32Array(W * B * rows); // [W·B, taps·in], zero outside the image
      const prev = n > 0 ? layers[n - 1]! : null;
      for (let t = 0; t < l.vTaps; t++) {
        const y = i + Math.floor(t / l.kw) - l.cy; // first layer: y < i; later: y ≤ i
        if (y < 0) continue;
        for (let j = 0; j < W; j++) {
          const x = j + (t % l.kw) - l.cx;
          if (x < 0 || x >= W) continue;
          for (let b = 0; b < B; b++) {
            const to = (j * B + b) * rows + t * inF;
            if (prev) {
              const from = (((y % prev.ringRows) * W + x) * B + b) * inF;
              for (let k = 0; k < inF; k++) cols[to + k] = prev.ring![from + k]!;
            } else {
              const from = unit + ((y * W + x) * B + b) * C;
              for (let k = 0; k < inF; k++) cols[to + k] = f32[from + k]!;
            }
          }
        }
      }
      const av = tf.tidy(() => tf.matMul(tf.tensor2d(cols, [W * B, rows]), l.vW)); // [W·B, 2p]
      const a = av.dataSync();
      av.dispose();
      for (let n2 = 0; n2 < W * B; n2++) // n2 = j·B + b
        for (let o = 0; o < p; o++) {
          const b0 = (n2 % B) * P2;
          const f = a[n2 * P2 + o]! + l.vBias[b0 + o]!;
          const g = a[n2 * P2 + p + o]! + l.vBias[b0 + p + o]!;
          l.vRow[n2 * p + o] = Math.tanh(f) / (1 + Math.exp(-g));
        }
      if (l.ring) l.ring.set(l.vRow, (i % l.ringRows) * W * B * p);
      const link = tf.tidy(() => tf.matMul(tf.tensor2d(l.vRow, [W * B, p]), l.linkW)); // [W·B, 2p]
      const d = link.dataSync();
      link.dispose();
      for (let n2 = 0; n2 < W * B; n2++) for (let o = 0; o < P2; o++) f32[l.rowAcc + n2 * P2 + o] = l.hBias[(n2 % B) * P2 + o]! + d[n2 * P2 + o]!;
    });
    row = i;
  };

  /** The horizontal input of layer n at (current row, column x), image 0, and its row stride: images follow. */
  const hInput = (n: number, i: number, x: number): [number, number] =>
    n === 0 ? [unit + (i * W + x) * B * C, C] : [layers[n - 1]!.hRow + x * B * p, p];

  /** rowAcc + the taps left of pixel (i, j) in its own row, every output of every layer; skip reset. */
  const beginPixel = (pp: number) => {
    const i = Math.floor(pp / W);
    const j = pp % W;
    if (row !== i) beginRow(i);
    layers.forEach((l, n) => {
      f32.copyWithin(l.ah, l.rowAcc + j * B * P2, l.rowAcc + (j + 1) * B * P2);
      mem.clear();
      let ldx = 0;
      l.left.forEach((dx, t) => {
        if (j + dx < 0) return;
        const [x, stride] = hInput(n, i, j + dx);
        ldx = stride;
        mem.seg(x, l.hIn, l.hW + t * l.hIn * P2);
      });
      mem.gemm(l.ah, P2, B, P2, ldx, P2); // [B, 2p] += [B, left taps·in] × [left taps·in, 2p]
    });
    skip.fill(0);
  };

  /** Channel group g of every layer at pixel pp, then of the head when `withHead`. */
  const computeGroup = (pp: number, g: number, withHead: boolean) => {
    const i = Math.floor(pp / W);
    const j = pp % W;
    const [o0, o1] = [G[g]!, G[g + 1]!];
    layers.forEach((l, n) => {
      const end = l.centreEnd[g]!;
      const outEnd = l.out.ends[g]!;
      if (l.centreRow >= 0 && end > 0) {
        const [x, ldx] = hInput(n, i, j);
        const w = l.hW + l.centreRow * P2;
        gemm(l.ah + o0, P2, o1 - o0, x, ldx, end, w + o0, P2); //                 f columns of group g
        gemm(l.ah + p + o0, P2, o1 - o0, x, ldx, end, w + p + o0, P2); //         g columns of group g
      }
      for (let b = 0; b < B; b++)
        for (let o = o0; o < o1; o++) {
          const a0 = l.ah + b * P2;
          f32[l.gated + b * p + o] = Math.tanh(f32[a0 + o]!) / (1 + Math.exp(-f32[a0 + p + o]!));
          f32[l.y + b * p + o] = l.out.bias[o]!;
        }
      gemm(l.y + o0, p, o1 - o0, l.gated, p, outEnd, l.out.w + o0, p); // the 1×1 out for group g, [B, group] += [B, in] × [in, group]
      for (let b = 0; b < B; b++) {
        const at = (j * B + b) * p;
        for (let o = o0; o < o1; o++) {
          const hv = (l.first ? 0 : f32[layers[n - 1]!.hRow + at + o]!) + f32[l.y + b * p + o]!; // residual
          f32[l.hRow + at + o] = hv;
          skip[b * p + o]! += hv;
        }
      }
    });
    if (!withHead) return;
    const [q0, q1] = [HG[g]!, HG[g + 1]!];
    const [f0, f1] = [FG[g]!, FG[g + 1]!];
    for (let b = 0; b < B; b++) {
      for (let o = o0; o < o1; o++) f32[skipRelu + b * p + o] = Math.max(0, skip[b * p + o]!);
      for (let o = q0; o < q1; o++) f32[hidden + b * hh + o] = head0.bias[o]!;
    }
    gemm(hidden + q0, hh, q1 - q0, skipRelu, p, head0.ends[g]!, head0.w + q0, hh);
    for (let b = 0; b < B; b++) {
      for (let o = q0; o < q1; o++) f32[hidden + b * hh + o] = Math.max(0, f32[hidden + b * hh + o]!);
      for (let o = f0; o < f1; o++) f32[logits + b * PF + o] = head1.bias[o]!;
    }
    gemm(logits + f0, PF, f1 - f0, hidden, hh, head1.ends[g]!, head1.w + f0, PF);
    for (let b = 0; b < B; b++) for (let o = f0; o < f1; o++) head[b * PF + o] = f32[logits + b * PF + o]!;
  };

  const finishPixel = () => {
    if (groups === 0) beginPixel(pixel);
    for (let g = groups; g < C; g++) computeGroup(pixel, g, false);
    pixel++;
    groups = 0;
  };

  return {
    batch,
    kind: 'cached-gated-pixelcnn',
    headAt: (i, j, c) => {
      if (disposed) throw new Error(`${WHO}: sampler used after dispose`);
      const pp = i * W + j;
      if (pp < pixel || (pp === pixel && c < groups))
        throw new Error(`${WHO}: headAt(${i}, ${j}, ${c}) asked after that position was passed`);
      while (pixel < pp) finishPixel();
      if (groups === 0) beginPixel(pp);
      // groups asked for at this pixel are computed with their head (the loop asks every channel in turn)
      for (let g = groups; g <= c; g++) computeGroup(pp, g, true);
      groups = c + 1;
      return Float32Array.from(head);
    },
    commit: (i, j, c, values) => {
      const base = (i * W + j) * B * C;
      for (let b = 0; b < B; b++) f32[unit + base + b * C + c] = values[b]! * scale - 1;
    },
    dispose: () => {
      if (disposed) return;
      disposed = true;
      for (const l of layers) tf.dispose([l.vW, l.linkW]);
    },
  };
};
