// Cached incremental sampling for PixelCNN: each new value computes only what it changes.
//
// Every layer keeps its input map ([H·W, B, in]: the unit image for the first, mask-A layer, relu of
// the residual stream for the others) in wasm memory (sampling/pixelMemory.ts). Then:
//   - once per pixel, every layer's taps before it (the rows above and the left of its own row, all
//     final by now) for all output features: bias + one SIMD product over those taps' input blocks,
//     [B, taps·in] × [taps·in, out], listing only the taps inside the image;
//   - per channel c, only output group c of every layer: the centre tap over the input groups the
//     mask lets it see (< c for mask A, ≤ c for mask B), then relu into the next layer's map. Groups < c
//     at the pixel do not change when channel c is sampled (mask A hides channel c from groups ≤ c)
//     and groups > c are computed at their own step, so every pixel is computed once in all;
//   - the head's two 1×1 layers only for group c: channel c's block of the head (what the likelihood reads).
// The products run in kernels/causalConv.ts `segmentGemm` (f32x4, fused multiply-add in the relaxed
// build) on the whole batch at once; no tfjs op runs while sampling. The sums are float32, as in the
// network's own forward pass. Layer roles come from the model's own layer list (network.ts pixelCnnLayers).

import { convLayout, type MaskedConvSpec } from '../../layers/maskedConv.js';
import type { AutoregressiveModel } from '../../model.js';
import { classBiasName, classesOf } from '../../conditioning.js';
import { PixelMemory } from '../../sampling/pixelMemory.js';
import { groupStarts, readParam } from '../../sampling/positionMath.js';
import type { IncrementalSampler } from '../../sampling/types.js';
import { pixelCnnLayers, type PixelCnnRole } from './network.js';
import type { PixelCnnSpec } from './spec.js';

type Role = PixelCnnRole;
const WHO = 'cachedPixelCnn';

/** One layer's blocks in the sampler's memory (offsets in floats) and its tap plan. */
interface Layer {
  readonly role: Role;
  readonly inF: number;
  readonly outF: number;
  readonly w: number; // [rows, out], centre channel mask applied; rows: past taps in raster order, then the centre
  readonly bias: number; // [B, out]: the bias, plus each image's class bias when conditional
  readonly past: readonly { dy: number; dx: number }[]; // taps before the pixel; tap t is weight rows [t·in, (t+1)·in)
  readonly centreW: number; // offset of the centre tap's first weight row, −1 when the centre is unused
  readonly groupStart: Int32Array; // output group g is features [groupStart[g], groupStart[g+1])
  readonly centreInEnd: Int32Array; // group g sees input features [0, centreInEnd[g]) at the centre
  readonly act: number; // input map [H·W, B, in]; −1 for layers without a window (current pixel only)
  readonly cur: number; // input at the current pixel [B, in] (layers without a window)
  readonly sum: number; // [B, out]: the layer's output at the current pixel
}

const planLayer = (
  mem: PixelMemory,
  spec: MaskedConvSpec,
  role: Role,
  model: AutoregressiveModel,
  H: number,
  W: number,
  batch: number,
  labels: Int32Array | undefined,
): { layer: Layer; weights: Float32Array; bias: Float32Array } => {
  const { table, weightMask } = convLayout(spec);
  const weights = readParam(model.params, `${spec.name}.w`, WHO);
  if (weightMask) for (let k = 0; k < weights.length; k++) weights[k]! *= weightMask[k]!;
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
  const past = table.pastTaps; // raster order, as in the weight rows
  const hasWindow = past.length > 0;
  const w = mem.alloc(weights.length);
  const layer: Layer = {
    role,
    inF: spec.inFeatures,
    outF: spec.outFeatures,
    w,
    bias: mem.alloc(batch * spec.outFeatures),
    past,
    centreW: table.centreUsed ? w + past.length * spec.inFeatures * spec.outFeatures : -1,
    groupStart,
    centreInEnd,
    act: hasWindow || role === 'input' ? mem.alloc(H * W * batch * spec.inFeatures) : -1,
    cur: mem.alloc(batch * spec.inFeatures),
    sum: mem.alloc(batch * spec.outFeatures),
  };
  return { layer, weights, bias: imageBiases(model, spec, batch, labels) };
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
  let mem: PixelMemory | null = new PixelMemory();
  const plans = pixelCnnLayers(spec).map((l) => planLayer(mem!, l.conv, l.role, model, H, W, batch, labels));
  const stream = mem.alloc(batch * spec.hidden); // the residual stream at the current pixel [B, h]
  mem.ready(Math.max(1, ...plans.map((p) => p.layer.past.length)));
  for (const { layer, weights, bias } of plans) {
    mem.f32.set(weights, layer.w);
    mem.f32.set(bias, layer.bias);
  }
  const layers = plans.map((p) => p.layer);
  const input = layers[0]!;
  const last = layers[layers.length - 1]!; // head1
  const h = spec.hidden;
  const scale = 2 / (K - 1);
  const P = last.outF; // head features per pixel, C·F

  let pixel = 0; // current pixel (raster index)
  let groups = 0; // groups of `pixel` computed so far in every layer

  /** Offset of layer l's input at pixel p: in its map, or its current-pixel block. */
  const inputAt = (l: Layer, p: number): number => (l.act >= 0 ? l.act + p * batch * l.inF : l.cur);

  /** bias + every tap before pixel p (rows above, left in its own row), all output features, every layer. */
  const beginPixel = (m: PixelMemory, p: number) => {
    const i = Math.floor(p / W);
    const j = p % W;
    const f32 = m.f32;
    for (const l of layers) {
      const { sum, outF, inF } = l;
      f32.copyWithin(sum, l.bias, l.bias + batch * outF);
      if (!l.past.length) continue;
      m.clear();
      l.past.forEach(({ dy, dx }, t) => {
        const y = i + dy;
        const x = j + dx;
        if (y >= 0 && x >= 0 && x < W) m.seg(l.act + (y * W + x) * batch * inF, inF, l.w + t * inF * outF);
      });
      m.gemm(sum, outF, batch, outF, inF, outF); // [B, out] += [B, taps·in] × [taps·in, out]
    }
  };

  /** Output group g of every layer at pixel p; the head only when `head`. */
  const computeGroup = (m: PixelMemory, p: number, g: number, head: boolean) => {
    for (let n = 0; n < layers.length; n++) {
      const l = layers[n]!;
      if (!head && (l.role === 'head0' || l.role === 'head1')) return;
      const { sum, outF, inF } = l;
      const o0 = l.groupStart[g]!;
      const o1 = l.groupStart[g + 1]!;
      const seen = l.centreInEnd[g]!;
      if (l.centreW >= 0 && seen > 0) {
        m.clear();
        m.seg(inputAt(l, p), seen, l.centreW + o0);
        m.gemm(sum + o0, outF, batch, o1 - o0, inF, outF); // [B, group] += [B, seen] × [seen, group]
      }
      const next = layers[n + 1];
      if (!next) continue;
      // the residual stream: features = conv(x), then features += conv(relu(features)) per layer; relu into the next input
      if (l.role === 'input' || l.role === 'residual') m.streamRelu(sum + o0, stream + o0, inputAt(next, p) + o0, batch, o1 - o0, h, next.inF, l.role === 'input');
      else if (l.role === 'head0') m.streamRelu(sum + o0, sum + o0, inputAt(next, p) + o0, batch, o1 - o0, outF, next.inF, true);
    }
  };

  const live = (): PixelMemory => {
    if (!mem) throw new Error('cachedPixelCnn: sampler used after dispose');
    return mem;
  };

  const finishPixel = (m: PixelMemory) => {
    if (groups === 0) beginPixel(m, pixel);
    for (let g = groups; g < C; g++) computeGroup(m, pixel, g, false);
    pixel++;
    groups = 0;
  };

  return {
    batch,
    kind: 'cached-pixelcnn',
    headAt: (i, j, c) => {
      const m = live();
      const p = i * W + j;
      if (p < pixel || (p === pixel && c < groups))
        throw new Error(`cachedPixelCnn: headAt(${i}, ${j}, ${c}) asked after that position was passed`);
      while (pixel < p) finishPixel(m);
      if (groups === 0) beginPixel(m, p);
      for (let g = groups; g < c; g++) computeGroup(m, p, g, false);
      computeGroup(m, p, c, true);
      groups = c + 1;
      // [B, C·F]: blocks < c as computed at this pixel's earlier channels, block c now
      return m.f32.slice(last.sum, last.sum + batch * P);
    },
    commit: (i, j, c, values) => {
      const f32 = live().f32;
      const base = input.act + (i * W + j) * batch * C;
      for (let b = 0; b < batch; b++) f32[base + b * C + c] = values[b]! * scale - 1;
    },
    dispose: () => {
      mem = null;
    },
  };
};
