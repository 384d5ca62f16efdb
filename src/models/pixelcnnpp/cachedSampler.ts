// Cached incremental sampling for PixelCNN++, in the manner of Fast PixelCNN++ (Ramachandran, Paine,
// Khorrami, Babaeizadeh, Chang, Zhang, Hasegawa-Johnson, Campbell, Huang 2017): every layer keeps
// the map it has computed so far (its cache), and each output position is computed exactly once, at
// the first moment all it reads is known — which follows from the shifts (network.ts):
//
//   - the stream from above (u) at resolution l (factor f = 2^l), row a, reads only image rows < f·a:
//     the whole row of every u layer is computed when the sampler reaches fine row f·a — "run every
//     f rows" (and every layer of the row, in network order, before the row's first pixel);
//   - the stream from above and the left (ul) at resolution l, position (a, b), reads only pixels
//     before fine (f·a, f·b): it is computed when the sampler reaches that pixel — "cache every /
//     run every f rows and f columns" — layer by layer in network order (a stride-2 conv after the
//     finer map's position, a transposed conv after the coarser one's, the U-net partners long done);
//   - the head at a pixel is the 1×1 of elu(ul) there; it reads nothing of the pixel itself, so it
//     is computed once, at channel 0, and serves every channel (the logistic mixture's draw reads
//     the channels < c already committed).
// So a whole image costs one forward pass's multiply-adds (the useful ones: no strided or
// transposed waste) instead of H·W·C forward passes. The caches are Float32 maps in JS; the
// products run on the backend: a u row as one matMul per conv ([W·B, taps·in] × [taps·in, out]),
// a ul position as one matMul for conv₁ with the aux 1×1 stacked under it and one for conv₂
// ([B, rows] × [rows, out]); the first ul convs and the head, too small to pay for a backend call,
// in JS. The plan is read from the model's own layer list (network.ts pixelCnnPpLayout), weights by
// layer name.

import { classBiasName, classesOf } from '../../conditioning.js';
import { shiftTaps, type ShiftedConvSpec } from '../../layers/shift.js';
import type { AutoregressiveModel } from '../../model.js';
import { gemvAdd, readParam } from '../../sampling/positionMath.js';
import type { IncrementalSampler } from '../../sampling/types.js';
import { PIXELCNNPP, type PixelCnnPpSpec } from './spec.js';
import { pixelCnnPpLayout, type GatedBlock } from './network.js';
import { tf } from '../../tf.js';

const WHO = 'cachedPixelCnnPp';

/** A cached map: [h, w, B, F] in Float32, zeros where not (yet) computed. */
interface FMap {
  readonly level: number;
  readonly h: number;
  readonly w: number;
  readonly f: number;
  readonly data: Float32Array;
}

/** Weights [rows, out] transposed to [out, rows] (rows contiguous per output), Float64. */
interface Weights {
  readonly t: Float64Array;
  readonly rows: number;
  readonly out: number;
  /** [B, out]: the bias (+ the image's class vector). */
  readonly bias: Float64Array;
}

/** acc[a0 + o] += Σ_k x[x0 + k] · W[r0 + k, o] for every output o. */
const gemv = (acc: Float64Array, a0: number, x: Float32Array | Float64Array, x0: number, n: number, w: Weights, r0: number): void =>
  gemvAdd(acc, a0, x, x0, n, w, r0, 0, w.out);

const elu = (v: number): number => (v > 0 ? v : Math.expm1(v));
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** A node of the plan: what it computes at one position (a, b) of its level, for every image. */
interface Node {
  readonly stream: 'u' | 'ul';
  readonly level: number;
  readonly out: FMap;
  /** ul nodes: the work at one position (a, b). */
  readonly phases: readonly ((a: number, b: number) => void)[];
  /** u nodes: a whole row a at once (its convs as backend matMuls over the row). */
  readonly row?: (a: number) => void;
}

export const cachedPixelCnnPpSampler = (model: AutoregressiveModel, batch: number, labels?: Int32Array): IncrementalSampler => {
  const spec = model.spec as PixelCnnPpSpec;
  if (spec.family !== PIXELCNNPP) throw new Error(`${WHO}: expected family '${PIXELCNNPP}', found '${spec.family}'`);
  const conditional = classesOf(spec) > 0;
  if (conditional && (!labels || labels.length !== batch))
    throw new Error(`${WHO}: a class-conditional model needs ${batch} labels, found ${labels ? labels.length : 'none'}`);
  const { height: H, width: W, channels: C, levels: K } = spec;
  const B = batch;
  const L = pixelCnnPpLayout(spec);
  const F = spec.nrFilters;

  const backendWeights: tf.Tensor2D[] = [];
  /** A layer's weights [rows, out] on the backend, for the row matMuls of the u stream. */
  const onBackend = (name: string): tf.Tensor2D => {
    const b = readParam(model.params, `${name}.b`, WHO);
    const w = readParam(model.params, `${name}.w`, WHO);
    const t = tf.tensor2d(w, [w.length / b.length, b.length]);
    backendWeights.push(t);
    return t;
  };
  const weights = (name: string, classTable?: string): Weights => {
    const w = readParam(model.params, `${name}.w`, WHO);
    const b = readParam(model.params, `${name}.b`, WHO);
    const out = b.length;
    const rows = w.length / out;
    const t = new Float64Array(w.length);
    for (let r = 0; r < rows; r++) for (let o = 0; o < out; o++) t[o * rows + r] = w[r * out + o]!;
    const table = classTable && conditional ? readParam(model.params, classTable, WHO) : null;
    const bias = Float64Array.from({ length: B * out }, (_, k) => b[k % out]! + (table ? table[labels![Math.floor(k / out)]! * out + (k % out)]! : 0));
    return { t, rows, out, bias };
  };
  const map = (level: number, f: number): FMap => {
    const [h, w] = L.sides[level]!;
    return { level, h, w, f, data: new Float32Array(h * w * B * f) };
  };
  const at = (m: FMap, a: number, b: number, img: number): number => ((a * m.w + b) * B + img) * m.f;

  // the image: [−1, 1] levels and the channel of ones, [H, W, B, C+1]; read only where committed
  const x = map(0, C + 1);
  const scale = 2 / (K - 1);

  const tapCache = new Map<ShiftedConvSpec, { dy: number; dx: number }[]>();
  const tapsOf = (s: ShiftedConvSpec) => {
    let t = tapCache.get(s);
    if (!t) tapCache.set(s, (t = shiftTaps(s)));
    return t;
  };
  let colStore = new Float64Array(0);
  const colBuffer = (n: number): Float64Array => (colStore.length >= n ? colStore : (colStore = new Float64Array(n)));

  /** acc [B·out] = bias + conv(input) at output (a, b) of a shifted conv of any stride. */
  const convInto = (acc: Float64Array, s: ShiftedConvSpec, w: Weights, input: FMap, a: number, b: number): void => {
    acc.set(w.bias);
    const inF = s.inFeatures;
    const taps = tapsOf(s);
    const rows = taps.length * inF;
    const col = colBuffer(B * rows); // [B, taps·in]: the taps side by side, zeros outside the input
    let any = false;
    taps.forEach(({ dy, dx }, t) => {
      const rc = source(s, input, a, b, dy, dx); // transposed: the conv over the coarse map spread onto the finer grid
      for (let img = 0; img < B; img++) {
        const to = img * rows + t * inF;
        if (!rc) col.fill(0, to, to + inF);
        else {
          const o = at(input, rc[0], rc[1], img);
          for (let k = 0; k < inF; k++) col[to + k] = input.data[o + k]!;
          any = true;
        }
      }
    });
    if (any) for (let img = 0; img < B; img++) gemv(acc, img * w.out, col, img * rows, rows, w, 0);
  };

  /** col[img·stride + offset + t·in + k] = input at tap t of output (a, b) (zeros outside), for every image. */
  const gatherTaps = (col: Float32Array, stride: number, offset: number, s: ShiftedConvSpec, input: FMap, a: number, b: number): void => {
    const inF = s.inFeatures;
    tapsOf(s).forEach(({ dy, dx }, t) => {
      const rc = source(s, input, a, b, dy, dx);
      for (let img = 0; img < B; img++) {
        const to = img * stride + offset + t * inF;
        if (!rc) col.fill(0, to, to + inF);
        else {
          const o = at(input, rc[0], rc[1], img);
          col.set(input.data.subarray(o, o + inF), to);
        }
      }
    });
  };

  /** col [n, rows] · wt [rows, out] on the backend (one matMul: a position's product for every image). [n·out] */
  const product = (col: Float32Array, n: number, wt: tf.Tensor2D): Float32Array => {
    const y = tf.tidy(() => tf.matMul(tf.tensor2d(col, [n, wt.shape[0]]), wt)); // [n, out]
    const v = y.dataSync() as Float32Array;
    y.dispose();
    return v;
  };

  /** Where tap (dy, dx) of output (a, b) reads `input` (row, column), or null outside it (or between a transposed conv's spread positions). */
  const source = (s: ShiftedConvSpec, input: FMap, a: number, b: number, dy: number, dx: number): [number, number] | null => {
    let r: number, c: number;
    if (s.stride === 1) [r, c] = [a + dy, b + dx];
    else if (s.stride === 2) [r, c] = [2 * a + dy, 2 * b + dx];
    else {
      const [rr, cc] = [a + dy, b + dx];
      if (rr < 0 || cc < 0 || rr % 2 || cc % 2) return null;
      [r, c] = [rr / 2, cc / 2];
    }
    return r < 0 || c < 0 || r >= input.h || c >= input.w ? null : [r, c];
  };

  /**
   * The conv at every column of output row a (no bias): the row's taps gathered into
   * [outW·B, taps·in] and one backend matMul with the weights. [outW·B·out] (column, image, feature)
   */
  const rowConv = (s: ShiftedConvSpec, wt: tf.Tensor2D, input: FMap, a: number, outW: number): Float32Array => {
    const inF = s.inFeatures;
    const taps = shiftTaps(s);
    const rows = taps.length * inF;
    const cols = new Float32Array(outW * B * rows);
    for (let b = 0; b < outW; b++)
      taps.forEach(({ dy, dx }, t) => {
        const rc = source(s, input, a, b, dy, dx);
        if (!rc) return;
        for (let img = 0; img < B; img++) {
          const o = at(input, rc[0], rc[1], img);
          cols.set(input.data.subarray(o, o + inF), (b * B + img) * rows + t * inF);
        }
      });
    const y = tf.tidy(() => tf.matMul(tf.tensor2d(cols, [outW * B, rows]), wt)); // [outW·B, out]
    const v = y.dataSync() as Float32Array;
    y.dispose();
    return v;
  };

  /** Write concat_elu(v [B·n]) into m at (a, b): [elu(v) | elu(−v)] per image. */
  const storeConcatElu = (m: FMap, a: number, b: number, v: Float64Array | Float32Array, v0: (img: number) => number, n: number) => {
    for (let img = 0; img < B; img++) {
      const o = at(m, a, b, img);
      const i0 = v0(img);
      for (let k = 0; k < n; k++) {
        const e = v[i0 + k]!;
        m.data[o + k] = elu(e);
        m.data[o + n + k] = elu(-e);
      }
    }
  };

  /** Write value(img, k) for k < F into y at (a, b) and its concat_elu into act. */
  const storeRow = (y: FMap, act: FMap, a: number, b: number, value: (img: number, k: number) => number) => {
    for (let img = 0; img < B; img++) {
      const o = at(y, a, b, img);
      const oa = at(act, a, b, img);
      for (let k = 0; k < F; k++) {
        const v = value(img, k);
        y.data[o + k] = v;
        act.data[oa + k] = elu(v);
        act.data[oa + F + k] = elu(-v);
      }
    }
  };

  const nodes: Node[] = [];
  const scratch = (n: number) => new Float64Array(B * n);

  /** The first layers: u = downShift(2×3 conv), ul = downShift(1×3 conv) + rightShift(2×1 conv), with their concat_elu maps. */
  const initNodes = () => {
    const wu = weights(L.initU.name);
    const tu = onBackend(L.initU.name);
    const wa = weights(L.initAbove.name);
    const wl = weights(L.initLeft.name);
    const u = map(0, F);
    const ul = map(0, F);
    const au = map(0, 2 * F);
    const aul = map(0, 2 * F);
    const acc = scratch(F);
    const acc2 = scratch(F);
    nodes.push({
      stream: 'u',
      level: 0,
      out: u,
      phases: [
        (a, b) => {
          if (a > 0) convInto(acc, L.initU, wu, x, a - 1, b); // the conv's row a − 1, shifted down
          else acc.fill(0);
          for (let img = 0; img < B; img++) for (let k = 0; k < F; k++) u.data[at(u, a, b, img) + k] = acc[img * F + k]!;
          storeConcatElu(au, a, b, acc, (img) => img * F, F);
        },
      ],
      row: (a) => {
        if (a === 0) return; // the shift's zero row (the maps start at zero)
        const v = rowConv(L.initU, tu, x, a - 1, W); // the conv's row a − 1, shifted down
        for (let b = 0; b < W; b++) storeRow(u, au, a, b, (img, k) => v[(b * B + img) * F + k]! + wu.bias[img * F + k]!);
      },
    });
    nodes.push({
      stream: 'ul',
      level: 0,
      out: ul,
      phases: [
        (a, b) => {
          if (a > 0) convInto(acc, L.initAbove, wa, x, a - 1, b);
          else acc.fill(0);
          if (b > 0) convInto(acc2, L.initLeft, wl, x, a, b - 1);
          else acc2.fill(0);
          for (let k = 0; k < B * F; k++) acc[k]! += acc2[k]!;
          for (let img = 0; img < B; img++) for (let k = 0; k < F; k++) ul.data[at(ul, a, b, img) + k] = acc[img * F + k]!;
          storeConcatElu(aul, a, b, acc, (img) => img * F, F);
        },
      ],
    });
    return { u, ul, au, aul };
  };

  /** Outputs a block leaves for the next: its map and its concat_elu. */
  interface Out {
    readonly y: FMap;
    readonly act: FMap;
  }

  /** One gated block: h = concat_elu(conv₁(act x) + 1×1(concat_elu aux)), y = x + a ⊙ σ(b), [a | b] = conv₂(h). */
  const blockNode = (blk: GatedBlock, input: Out, aux: readonly FMap[]): Out => {
    const level = blk.level;
    const w1 = weights(blk.c1.name);
    const wa = blk.aux > 0 ? weights(`${blk.name}.aux`) : null;
    const w2 = weights(blk.c2.name, classBiasName(blk.c2.name));
    const hmap = map(level, 2 * F);
    const y = map(level, F);
    const act = map(level, 2 * F);
    const c1 = scratch(F);
    const c2 = scratch(2 * F);
    const auxVec = new Float64Array(2 * blk.aux);
    const first = (a: number, b: number) => {
      convInto(c1, blk.c1, w1, input.act, a, b);
      if (wa) {
        for (let img = 0; img < B; img++) {
          let k = 0;
          for (const m of aux) {
            const o = at(m, a, b, img);
            for (let q = 0; q < m.f; q++) auxVec[k++] = m.data[o + q]!;
          }
          const n = k;
          for (let q = 0; q < n; q++) {
            const e = auxVec[q]!;
            auxVec[q] = elu(e);
            auxVec[n + q] = elu(-e);
          }
          for (let o = 0; o < F; o++) c1[img * F + o]! += wa.bias[img * F + o]!;
          gemv(c1, img * F, auxVec, 0, 2 * n, wa, 0);
        }
      }
      storeConcatElu(hmap, a, b, c1, (img) => img * F, F);
    };
    const second = (a: number, b: number) => {
      convInto(c2, blk.c2, w2, hmap, a, b);
      for (let img = 0; img < B; img++) {
        const o = at(y, a, b, img);
        const i = at(input.y, a, b, img);
        for (let k = 0; k < F; k++) y.data[o + k] = input.y.data[i + k]! + c2[img * 2 * F + k]! * sigmoid(c2[img * 2 * F + F + k]!);
      }
      storeConcatElu(act, a, b, y.data, (img) => at(y, a, b, img), F);
    };
    // u: a whole row at once, conv₁ (and the aux 1×1) over the row before conv₂, which reads h to
    // the right of the column (a 2×3 'down' conv); ul: both halves at one position (it reads only at
    // or left of the column).
    if (blk.stream === 'ul') {
      // one backend matMul for conv₁ and the aux 1×1 together ([taps·2F | 2·aux] rows), one for conv₂
      const rows1 = tapsOf(blk.c1).length * blk.c1.inFeatures;
      const rowsA = 2 * blk.aux;
      const w1raw = readParam(model.params, `${blk.c1.name}.w`, WHO);
      const waraw = rowsA ? readParam(model.params, `${blk.name}.aux.w`, WHO) : new Float32Array(0);
      const stacked = new Float32Array((rows1 + rowsA) * F);
      stacked.set(w1raw, 0);
      stacked.set(waraw, rows1 * F);
      const t1a = tf.tensor2d(stacked, [rows1 + rowsA, F]);
      backendWeights.push(t1a);
      const bias1 = Float64Array.from({ length: B * F }, (_, k) => w1.bias[k]! + (wa ? wa.bias[k]! : 0));
      const t2 = onBackend(blk.c2.name);
      const rows2 = tapsOf(blk.c2).length * blk.c2.inFeatures;
      const col1 = new Float32Array(B * (rows1 + rowsA));
      const col2 = new Float32Array(B * rows2);
      const n = aux.reduce((k, m) => k + m.f, 0);
      const both = (a: number, b: number) => {
        gatherTaps(col1, rows1 + rowsA, 0, blk.c1, input.act, a, b);
        for (let img = 0; img < B; img++) {
          const to = img * (rows1 + rowsA) + rows1;
          let k = 0;
          for (const m of aux) {
            const o = at(m, a, b, img);
            for (let q = 0; q < m.f; q++, k++) {
              const e = m.data[o + q]!;
              col1[to + k] = elu(e);
              col1[to + n + k] = elu(-e);
            }
          }
        }
        const v1 = product(col1, B, t1a); //                                            [B·F]
        for (let k = 0; k < B * F; k++) c1[k] = v1[k]! + bias1[k]!;
        storeConcatElu(hmap, a, b, c1, (img) => img * F, F);
        gatherTaps(col2, rows2, 0, blk.c2, hmap, a, b);
        const v2 = product(col2, B, t2); //                                             [B·2F]
        for (let img = 0; img < B; img++) {
          const o = at(y, a, b, img);
          const i = at(input.y, a, b, img);
          for (let k = 0; k < F; k++) {
            const q = img * 2 * F + k;
            y.data[o + k] = input.y.data[i + k]! + (v2[q]! + w2.bias[q]!) * sigmoid(v2[q + F]! + w2.bias[q + F]!);
          }
        }
        storeConcatElu(act, a, b, y.data, (img) => at(y, a, b, img), F);
      };
      nodes.push({ stream: 'ul', level, out: y, phases: [both] });
      return { y, act };
    }
    const t1 = onBackend(blk.c1.name);
    const ta = wa ? onBackend(`${blk.name}.aux`) : null;
    const t2 = onBackend(blk.c2.name);
    const row = (a: number) => {
      const w = y.w;
      const v1 = rowConv(blk.c1, t1, input.act, a, w); //                          [w·B·F]
      let va: Float32Array | null = null;
      if (ta) {
        const n = aux.reduce((k, m) => k + m.f, 0);
        const cols = new Float32Array(w * B * 2 * n); //                            [w·B, 2n]: concat_elu of the aux maps
        for (let b = 0; b < w; b++)
          for (let img = 0; img < B; img++) {
            const to = (b * B + img) * 2 * n;
            let k = 0;
            for (const m of aux) {
              const o = at(m, a, b, img);
              for (let q = 0; q < m.f; q++, k++) {
                const e = m.data[o + q]!;
                cols[to + k] = elu(e);
                cols[to + n + k] = elu(-e);
              }
            }
          }
        const t = tf.tidy(() => tf.matMul(tf.tensor2d(cols, [w * B, 2 * n]), ta)); // [w·B, F]
        va = t.dataSync() as Float32Array;
        t.dispose();
      }
      for (let b = 0; b < w; b++)
        storeRow(hmapHalf, hmap, a, b, (img, k) => {
          const q = (b * B + img) * F + k;
          return v1[q]! + w1.bias[img * F + k]! + (va ? va[q]! + wa!.bias[img * F + k]! : 0);
        });
      const v2 = rowConv(blk.c2, t2, hmap, a, w); //                               [w·B·2F]
      for (let b = 0; b < w; b++)
        storeRow(y, act, a, b, (img, k) => {
          const q = (b * B + img) * 2 * F;
          const g = v2[q + F + k]! + w2.bias[img * 2 * F + F + k]!;
          return input.y.data[at(input.y, a, b, img) + k]! + (v2[q + k]! + w2.bias[img * 2 * F + k]!) * sigmoid(g);
        });
    };
    const hmapHalf = map(level, F); // conv₁'s output itself (storeRow keeps it; only its concat_elu is read)
    nodes.push({ stream: 'u', level, out: y, phases: [first, second], row });
    return { y, act };
  };

  /** A stride-2 conv (to level + 1) or a transposed one (to level − 1), and the concat_elu of its output. */
  const resampleNode = (s: ShiftedConvSpec, stream: 'u' | 'ul', input: Out, level: number): Out => {
    const w = weights(s.name);
    const y = map(level, F);
    const act = map(level, 2 * F);
    const acc = scratch(F);
    const run = (a: number, b: number) => {
      convInto(acc, s, w, input.y, a, b);
      for (let img = 0; img < B; img++) for (let k = 0; k < F; k++) y.data[at(y, a, b, img) + k] = acc[img * F + k]!;
      storeConcatElu(act, a, b, acc, (img) => img * F, F);
    };
    const t = stream === 'u' ? onBackend(s.name) : null;
    const row = t
      ? (a: number) => {
          const v = rowConv(s, t, input.y, a, y.w); //                                  [w·B·F]
          for (let b = 0; b < y.w; b++) storeRow(y, act, a, b, (img, k) => v[(b * B + img) * F + k]! + w.bias[img * F + k]!);
        }
      : undefined;
    nodes.push({ stream, level, out: y, phases: [run], ...(row ? { row } : {}) });
    return { y, act };
  };

  // ---- the plan, in network order (network.ts pixelCnnPpForwardWith, step for step)
  const init = initNodes();
  let u: Out = { y: init.u, act: init.au };
  let ul: Out = { y: init.ul, act: init.aul };
  const uList: Out[] = [u];
  const ulList: Out[] = [ul];
  for (const stage of L.up) {
    for (const [bu, bul] of stage.blocks) {
      u = blockNode(bu, u, []);
      ul = blockNode(bul, ul, [u.y]);
      uList.push(u);
      ulList.push(ul);
    }
    if (stage.down) {
      u = resampleNode(stage.down[0], 'u', u, stage.level + 1);
      ul = resampleNode(stage.down[1], 'ul', ul, stage.level + 1);
      uList.push(u);
      ulList.push(ul);
    }
  }
  u = uList.pop()!;
  ul = ulList.pop()!;
  for (const stage of L.down) {
    if (stage.up) {
      u = resampleNode(stage.up[0], 'u', u, stage.level);
      ul = resampleNode(stage.up[1], 'ul', ul, stage.level);
    }
    for (const [bu, bul] of stage.blocks) {
      u = blockNode(bu, u, [uList.pop()!.y]);
      ul = blockNode(bul, ul, [u.y, ulList.pop()!.y]);
    }
  }
  const last = ul.y;
  const head = weights(L.head.name);
  const P = L.head.outFeatures;
  const headAcc = scratch(P);
  const eluVec = new Float64Array(F);
  const uNodes = nodes.filter((n) => n.stream === 'u');
  const ulNodes = nodes.filter((n) => n.stream === 'ul');

  /** Every u layer's row for fine row i, in network order (the levels whose rows start there). */
  const beginRow = (i: number) => {
    for (const n of uNodes) {
      const f = 1 << n.level;
      if (i % f) continue;
      const a = i / f;
      if (n.row) n.row(a);
      else for (const phase of n.phases) for (let b = 0; b < n.out.w; b++) phase(a, b);
    }
  };
  /** Every ul layer's position at fine pixel (i, j), in network order; then the head there. */
  const computePixel = (i: number, j: number) => {
    if (j === 0) beginRow(i);
    for (const n of ulNodes) {
      const f = 1 << n.level;
      if (i % f || j % f) continue;
      n.phases[0]!(i / f, j / f);
    }
    for (let img = 0; img < B; img++) {
      const o = at(last, i, j, img);
      for (let k = 0; k < F; k++) eluVec[k] = elu(last.data[o + k]!);
      for (let k = 0; k < P; k++) headAcc[img * P + k] = head.bias[img * P + k]!;
      gemv(headAcc, img * P, eluVec, 0, F, head, 0);
    }
  };

  let pixel = 0; // pixels computed so far (raster index of the next)
  let headPixel = -1; // the pixel whose head `current` holds
  let current = new Float32Array(0);
  let disposed = false;

  return {
    batch,
    kind: 'cached-pixelcnn++',
    headAt: (i, j, c) => {
      if (disposed) throw new Error(`${WHO}: sampler used after dispose`);
      const p = i * W + j;
      if (p < headPixel || (p < pixel && p !== headPixel)) throw new Error(`${WHO}: headAt(${i}, ${j}, ${c}) asked after that position was passed`);
      if (p !== headPixel) {
        while (pixel <= p) {
          computePixel(Math.floor(pixel / W), pixel % W);
          pixel++;
        }
        current = Float32Array.from(headAcc); // every channel's block: none reads the pixel itself
        headPixel = p;
      }
      return Float32Array.from(current);
    },
    commit: (i, j, c, values) => {
      for (let img = 0; img < B; img++) {
        const o = at(x, i, j, img);
        x.data[o + c] = values[img]! * scale - 1;
        x.data[o + C] = 1; // the channel of ones: the pixel is image, not padding
      }
    },
    dispose: () => {
      if (disposed) return;
      disposed = true;
      tf.dispose(backendWeights);
    },
  };
};
