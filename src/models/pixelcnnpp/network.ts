// PixelCNN++ (Salimans, Karpathy, Chen & Kingma 2017, "PixelCNN++: Improving the PixelCNN with
// Discretized Logistic Mixture Likelihood and Other Modifications", Figure 2; openai/pixel-cnn
// model.py), read top to bottom. F = nrFilters, N = nrResnet; three resolutions H, ⌈H/2⌉, ⌈H/4⌉.
//
//   x ─ to [−1, 1], a channel of ones (image vs padding) ─ x' [C+1]
//   u  = downShift(down 2×3 conv(x'))                                   the stream from above
//   ul = downShift(down 1×3 conv(x')) + rightShift(downRight 2×1 conv(x'))   from above and the left
//   up pass, at each resolution: N × { u = block(u; down 2×3),  ul = block(ul, aux u; downRight 2×2) },
//     every output kept for the U-net; between resolutions a stride-2 down 2×3 (u) and downRight 2×2 (ul)
//   down pass, coarsest first: N (then N+1) × { u = block(u, aux u_up.pop()), ul = block(ul, aux [u | ul_up.pop()]) },
//     between resolutions a transposed stride-2 down 2×3 (u) and downRight 2×2 (ul)
//   head = 1×1(elu(ul))  [C·F_likelihood]: the logistic mixture's parameters (or logits)
//
//   block(x, aux; conv) = x + a ⊙ σ(b),   [a | b] = conv₂(dropout(concat_elu(conv₁(concat_elu x) + 1×1(concat_elu aux))))
//                                          (+ the label's vector when class-conditional)
//
// Causality: u at row r only ever holds image rows < r, ul at (r, c) only pixels before (r, c) in
// raster order — the shifts at the start, and every later conv reads only rows at or above its
// output (and, for ul, columns at or left of it); a coarse map at (i, j) holds what came before the
// fine pixel (2i, 2j), which is what the fine maps that read it may see (src/layers/shift.ts).
// So the head at a pixel depends on the pixels before it, all channels, and nothing of the pixel
// itself: the logistic mixture supplies R → G → B within the pixel (spec.ts rules).
//
// Weight normalisation (the paper's, with data-dependent initialisation) is not used: plain weights
// with fan-in scaled normal init, the second conv of every block at 0.1 of it (openai's
// init_scale=0.1), so no data pass is needed to start and nothing grows with it.

import { classBiasName, classesOf, initClassBias, labelBias } from '../../conditioning.js';
import { concatEluPieces, downShift, nin, ninOfPieces, rightShift, shiftedConv, shiftedConvOfPieces, strideSide, type ShiftedConvSpec } from '../../layers/shift.js';
import { likelihoodFor } from '../../likelihoods/index.js';
import type { ForwardOptions, Labels } from '../../model.js';
import { Rng } from '../../rng.js';
import { tf, type NamedTensors, type Tensor1D, type Tensor2D, type Tensor4D } from '../../tf.js';
import { dropoutPieces } from './dropout.js';
import type { PixelCnnPpSpec } from './spec.js';

/** One gated ResNet block: conv₁ (2F → F), the aux 1×1 (2·aux → F) when aux > 0, conv₂ (2F → 2F). */
export interface GatedBlock {
  readonly name: string;
  readonly stream: 'u' | 'ul';
  readonly level: number;
  readonly c1: ShiftedConvSpec;
  /** Features of the aux input before concat_elu (0: none). */
  readonly aux: number;
  readonly c2: ShiftedConvSpec;
  /** Index of its dropout mask among the network's blocks. */
  readonly drop: number;
}

export interface UpStage {
  readonly level: number;
  readonly blocks: readonly (readonly [GatedBlock, GatedBlock])[]; // [u block, ul block] per step
  /** Stride-2 convs to the next resolution (absent at the coarsest). */
  readonly down?: readonly [ShiftedConvSpec, ShiftedConvSpec];
}

export interface DownStage {
  readonly level: number;
  /** Transposed stride-2 convs from the coarser resolution (absent at the coarsest). */
  readonly up?: readonly [ShiftedConvSpec, ShiftedConvSpec];
  readonly blocks: readonly (readonly [GatedBlock, GatedBlock])[];
}

export interface PixelCnnPpLayout {
  /** [H, W] at each of the three resolutions. */
  readonly sides: readonly (readonly [number, number])[];
  readonly initU: ShiftedConvSpec;
  readonly initAbove: ShiftedConvSpec;
  readonly initLeft: ShiftedConvSpec;
  readonly up: readonly UpStage[];
  readonly down: readonly DownStage[];
  readonly head: { readonly name: string; readonly inFeatures: number; readonly outFeatures: number };
}

export const LEVELS = 3;

/** Head features per pixel: C·F for the spec's likelihood. */
export const headFeatures = (s: PixelCnnPpSpec): number => s.channels * likelihoodFor(s.likelihood, s).featuresPerChannel;

const conv = (name: string, kind: ShiftedConvSpec['kind'], kh: number, kw: number, inFeatures: number, outFeatures: number, stride: ShiftedConvSpec['stride'] = 1): ShiftedConvSpec => ({
  name,
  kind,
  kh,
  kw,
  stride,
  inFeatures,
  outFeatures,
});

/** Every layer of the network, in the order it runs (the cached sampler reads its plan from here). */
export const pixelCnnPpLayout = (s: PixelCnnPpSpec): PixelCnnPpLayout => {
  const F = s.nrFilters;
  const N = s.nrResnet;
  let drop = 0;
  const block = (name: string, stream: 'u' | 'ul', level: number, aux: number): GatedBlock => ({
    name,
    stream,
    level,
    c1: stream === 'u' ? conv(`${name}.c1`, 'down', 2, 3, 2 * F, F) : conv(`${name}.c1`, 'downRight', 2, 2, 2 * F, F),
    aux,
    c2: stream === 'u' ? conv(`${name}.c2`, 'down', 2, 3, 2 * F, 2 * F) : conv(`${name}.c2`, 'downRight', 2, 2, 2 * F, 2 * F),
    drop: drop++,
  });
  const sides: [number, number][] = [[s.height, s.width]];
  for (let l = 1; l < LEVELS; l++) sides.push([strideSide(2, sides[l - 1]![0]), strideSide(2, sides[l - 1]![1])]);
  const up: UpStage[] = Array.from({ length: LEVELS }, (_, level) => ({
    level,
    blocks: Array.from({ length: N }, (_, r) => [block(`up${level}.${r}.u`, 'u', level, 0), block(`up${level}.${r}.ul`, 'ul', level, F)] as const),
    ...(level < LEVELS - 1 ? { down: [conv(`down${level}.u`, 'down', 2, 3, F, F, 2), conv(`down${level}.ul`, 'downRight', 2, 2, F, F, 2)] as const } : {}),
  }));
  const down: DownStage[] = Array.from({ length: LEVELS }, (_, k) => {
    const level = LEVELS - 1 - k;
    const steps = level === LEVELS - 1 ? N : N + 1;
    return {
      level,
      ...(level < LEVELS - 1 ? { up: [conv(`up${level}.u`, 'down', 2, 3, F, F, -2), conv(`up${level}.ul`, 'downRight', 2, 2, F, F, -2)] as const } : {}),
      blocks: Array.from({ length: steps }, (_, r) => [block(`dn${level}.${r}.u`, 'u', level, F), block(`dn${level}.${r}.ul`, 'ul', level, 2 * F)] as const),
    };
  });
  return {
    sides,
    initU: conv('init.u', 'down', 2, 3, s.channels + 1, F),
    initAbove: conv('init.above', 'down', 1, 3, s.channels + 1, F),
    initLeft: conv('init.left', 'downRight', 2, 1, s.channels + 1, F),
    up,
    down,
    head: { name: 'head', inFeatures: F, outFeatures: headFeatures(s) },
  };
};

/** Every block, up pass then down pass. */
export const blocksOf = (L: PixelCnnPpLayout): GatedBlock[] => [...L.up, ...L.down].flatMap((st) => st.blocks.flatMap((b) => [...b]));

/** Every shifted conv (blocks' convs included), and the 1×1s as [name, rows, out]. */
const weightsOf = (L: PixelCnnPpLayout): [name: string, rows: number, out: number, scale: number][] => {
  const shifted = (c: ShiftedConvSpec, scale = 1): [string, number, number, number] => [c.name, c.kh * c.kw * c.inFeatures, c.outFeatures, scale];
  return [
    shifted(L.initU),
    shifted(L.initAbove),
    shifted(L.initLeft),
    ...blocksOf(L).flatMap((b) => [shifted(b.c1), ...(b.aux > 0 ? [[`${b.name}.aux`, 2 * b.aux, b.c1.outFeatures, 1] as [string, number, number, number]] : []), shifted(b.c2, 0.1)]),
    ...L.up.flatMap((st) => (st.down ? st.down.map((c) => shifted(c)) : [])),
    ...L.down.flatMap((st) => (st.up ? st.up.map((c) => shifted(c)) : [])),
    [L.head.name, L.head.inFeatures, L.head.outFeatures, 0.1], // logits and means start small: near-uniform
  ];
};

export const pixelCnnPpShapes = (s: PixelCnnPpSpec): Record<string, number[]> => {
  const L = pixelCnnPpLayout(s);
  const out: Record<string, number[]> = {};
  for (const [name, rows, o] of weightsOf(L)) {
    out[`${name}.w`] = [rows, o];
    out[`${name}.b`] = [o];
  }
  if (classesOf(s) > 0) for (const b of blocksOf(L)) out[classBiasName(b.c2.name)] = [classesOf(s), b.c2.outFeatures];
  return out;
};

/** Normal weights of std scale·√(1/rows), zero biases; class tables small random. Deterministic in the seed. */
export const initPixelCnnPp = (s: PixelCnnPpSpec, seed: number): NamedTensors => {
  const rng = Rng.fromSeed(seed, 1);
  const classRng = Rng.fromSeed(seed, 5);
  const L = pixelCnnPpLayout(s);
  const params: NamedTensors = {};
  for (const [name, rows, o, scale] of weightsOf(L)) {
    const std = scale * Math.sqrt(1 / Math.max(1, rows));
    params[`${name}.w`] = tf.tensor2d(Float32Array.from({ length: rows * o }, () => rng.normal() * std), [rows, o]);
    params[`${name}.b`] = tf.zeros([o]);
  }
  if (classesOf(s) > 0) for (const b of blocksOf(L)) params[classBiasName(b.c2.name)] = initClassBias(classesOf(s), b.c2.outFeatures, classRng);
  return params;
};

/** Levels 0..K−1 to [−1, 1], and a channel of ones. [B, H, W, C] → [B, H, W, C+1] */
const inputOf = (x: Tensor4D, levels: number): Tensor4D => {
  const unit = tf.sub(tf.mul(x, 2 / (levels - 1)), 1); //                  [B, H, W, C]   in [−1, 1]
  return tf.concat([unit, tf.onesLike(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1]))], 3) as Tensor4D; // [B, H, W, C+1]
};

/** The forward pass over a layout (the spec's own: pixelCnnPpForward; a test may pass a broken one). */
export const pixelCnnPpForwardWith =
  (L: PixelCnnPpLayout, shifts: { readonly down: (x: Tensor4D) => Tensor4D; readonly right: (x: Tensor4D) => Tensor4D } = { down: downShift, right: rightShift }) =>
  (s: PixelCnnPpSpec, params: NamedTensors, x: Tensor4D, options: ForwardOptions, labels?: Labels): Tensor4D =>
    tf.tidy(() => {
      const impl = options.convImpl;
      const w = (name: string) => params[`${name}.w`] as Tensor2D;
      const b = (name: string) => params[`${name}.b`] as Tensor1D;
      const sc = (c: ShiftedConvSpec, v: Tensor4D, o: { inputGradient?: boolean; out?: { h: number; w: number } } = {}) => shiftedConv(impl, c, v, w(c.name), b(c.name), o);
      const training = options.training;

      /**
       * x + a ⊙ σ(b): one gated ResNet block. Every concat_elu is kept as its pieces (elu(±x) of each
       * part), and conv₂'s two halves a and b are two convolutions (its weights' columns split): on
       * the gather path no activation-sized concat, split or slice is made (layers/shift.ts
       * shiftedConvOfPieces); the dense path concatenates them, as the paper's code does.
       */
      const gated = (blk: GatedBlock, v: Tensor4D, aux?: readonly Tensor4D[]): Tensor4D => {
        let c1 = shiftedConvOfPieces(impl, blk.c1, concatEluPieces([v]), w(blk.c1.name), b(blk.c1.name)); // [B, h, w, F]
        if (aux) c1 = tf.add(c1, ninOfPieces(impl, concatEluPieces(aux), w(`${blk.name}.aux`), b(`${blk.name}.aux`))) as Tensor4D; // + 1×1 of the aux streams
        let h = concatEluPieces([c1]); //                                                  [B, h, w, F] × 2
        if (training) h = dropoutPieces(h, s.dropout, training, blk.drop); //              training only
        const F = blk.c1.outFeatures;
        const w2 = w(blk.c2.name); //                                                      [rows, 2F]
        const byLabel = labels ? labelBias(params, classBiasName(blk.c2.name), labels) : null; // [B, 2F]  V·y
        const half = (k: 0 | 1): Tensor4D => {
          const wk = tf.slice(w2, [0, k * F], [w2.shape[0], F]) as Tensor2D; //            [rows, F]
          const bk = tf.slice(b(blk.c2.name), [k * F], [F]) as Tensor1D;
          const y = shiftedConvOfPieces(impl, blk.c2, h, wk, bk); //                       [B, h, w, F]
          return byLabel ? (tf.add(y, tf.reshape(tf.slice(byLabel, [0, k * F], [byLabel.shape[0], F]), [y.shape[0], 1, 1, F])) as Tensor4D) : y;
        };
        return tf.add(v, tf.mul(half(0), tf.sigmoid(half(1)))) as Tensor4D; //            [B, h, w, F]  residual
      };

      const data = options.inputGradient ?? false;
      const xin = inputOf(x, s.levels); //                                                [B, H, W, C+1]
      let u = shifts.down(sc(L.initU, xin, { inputGradient: data })); //                   [B, H, W, F]  rows above
      let ul = tf.add(
        shifts.down(sc(L.initAbove, xin, { inputGradient: data })), //                    [B, H, W, F]  the row above
        shifts.right(sc(L.initLeft, xin, { inputGradient: data })), //                    [B, H, W, F]  left, and above-left
      ) as Tensor4D;
      const uList: Tensor4D[] = [u];
      const ulList: Tensor4D[] = [ul];

      // ---- up pass: fine to coarse
      for (const stage of L.up) {
        for (const [bu, bul] of stage.blocks) {
          u = gated(bu, u); //                                                            [B, h, w, F]
          ul = gated(bul, ul, [u]); //                                                      [B, h, w, F]
          uList.push(u);
          ulList.push(ul);
        }
        if (stage.down) {
          u = sc(stage.down[0], u); //                                                    [B, ⌈h/2⌉, ⌈w/2⌉, F]
          ul = sc(stage.down[1], ul); //                                                  [B, ⌈h/2⌉, ⌈w/2⌉, F]
          uList.push(u);
          ulList.push(ul);
        }
      }

      // ---- down pass: coarse to fine, each block reading its up-pass partner
      u = uList.pop()!;
      ul = ulList.pop()!;
      for (const stage of L.down) {
        if (stage.up) {
          const [h, wd] = L.sides[stage.level]!;
          u = sc(stage.up[0], u, { out: { h, w: wd } }); //                                [B, h, w, F]  from ⌈h/2⌉ × ⌈w/2⌉
          ul = sc(stage.up[1], ul, { out: { h, w: wd } }); //                              [B, h, w, F]
        }
        for (const [bu, bul] of stage.blocks) {
          u = gated(bu, u, [uList.pop()!]); //                                              [B, h, w, F]
          ul = gated(bul, ul, [u, ulList.pop()!]); //                                  [B, h, w, F]  aux [u | ul partner]
        }
      }
      if (uList.length || ulList.length) throw new Error(`pixelcnn++: ${uList.length + ulList.length} U-net maps left unread (layout broken)`);
      return nin(impl, tf.elu(ul) as Tensor4D, w(L.head.name), b(L.head.name)); //        [B, H, W, C·F]
    });

export const pixelCnnPpForward = (s: PixelCnnPpSpec, params: NamedTensors, x: Tensor4D, options: ForwardOptions, labels?: Labels): Tensor4D =>
  pixelCnnPpForwardWith(pixelCnnPpLayout(s))(s, params, x, options, labels);

