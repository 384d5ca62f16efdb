// `npx tsx bench/conv-grad-ab.ts [rounds]`: the pieces of the masked 3×3 conv's gradient on wasm (reference
// shapes: x, dy [16, 28, 28, 64], kernel [2, 3, 64, 64]), alternatives A/B'd in one process (interleaved
// rounds, medians); '…Fresh' cases give XNNPACK a new filter every call, as training does (repacking).
//
// Measured (2026-11-28, shared 2-core VM; one quiet-ish run): fwd 38.5 ms, dxFlip 47.5, dwConv 77.6 (7.9
// GFLOP/s over the rectangle), dwConvFresh 91.1, dwRowFold 108.4. Formulations tried for dW and dropped
// (all slower than the conv with dy as a [H, W, B, out] filter, which stays in maskedConv.ts):
//   - im2col: 6 tap slices of the padded x concatenated to [BHW, 6·in], transposed, one matMul: 169 ms;
//   - the same built from the transposed padded x [in, B, Hp, Wp]: 141 ms; per-tap matMuls from it: 109 ms;
//   - shifted rows on the flat padded grid (a tap = a contiguous row range): per-tap [out, L]·[L, in]
//     matMuls 180–365 ms, or one [(tap, in), L]·[L, out] matMul from column windows: 164 ms;
//   - rows folded into channels (dwRowFold below: input [(a, in), 1, Wp, (y, B)], one valid conv): 108 ms.
// Superseded on wasm: kernels/causalConv.ts (our own SIMD kernels over only the taps that exist) now does
// the forward pass and both gradients; these tfjs formulations remain the path on other backends.
// Why: on this machine memory traffic is the cost, not flops — wasm Slice first copies its whole input
// (readSync), a [L, 64] right operand costs ~8 ms to pack on every call (tfjs caches packing per tensor
// id, so only repeated operands are free), a 6-way concat of [64, L] blocks ~19 ms; the conv's
// indirection buffer reads x in place. Two processes running transposes side by side get 0.88× the
// throughput of one (matMul: 1.78×), which is also what caps data-parallel scaling.
import { selectBackend } from '../src/backend.js';
import { tf } from '../src/tf.js';
await selectBackend('wasm');
const [B, H, W, C, O, cy, cx, kw] = [16, 28, 28, 64, 64, 1, 1, 3] as number[] as [number, number, number, number, number, number, number, number];
const N = B * H * W;
const x = tf.randomNormal([B, H, W, C]) as tf.Tensor4D;
const dy = tf.randomNormal([B, H, W, O]) as tf.Tensor4D;
const k = tf.randomNormal([cy + 1, kw, C, O]) as tf.Tensor4D;
const fpad: tf.backend_util.ExplicitPadding = [[0, 0], [cy, 0], [cx, kw - 1 - cx], [0, 0]];
const bpad: tf.backend_util.ExplicitPadding = [[0, 0], [0, cy], [kw - 1 - cx, cx], [0, 0]];
const taps: [number, number][] = [];
for (let a = 0; a <= cy; a++) for (let b = 0; b < kw; b++) taps.push([a, b]);
const cases: Record<string, () => tf.Tensor> = {
  fwd: () => tf.conv2d(x, k, 1, fpad),
  fwdFused: () => tf.fused.conv2d({ x, filter: k, strides: 1, pad: fpad, bias: tf.zeros([O]) }),
  fwdFusedFresh: () => tf.fused.conv2d({ x, filter: tf.add(k, 0) as tf.Tensor4D, strides: 1, pad: fpad, bias: tf.zeros([O]) }),
  fwdFresh: () => tf.conv2d(x, tf.add(k, 0) as tf.Tensor4D, 1, fpad),
  dwConvFresh: () => tf.transpose(tf.conv2d(tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D, tf.transpose(tf.add(dy, 0), [1, 2, 0, 3]) as tf.Tensor4D, 1, fpad), [1, 2, 0, 3]),
  dxFlip: () => tf.conv2d(dy, tf.transpose(tf.reverse(k, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D, 1, bpad),
  dwConv: () => tf.transpose(tf.conv2d(tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D, tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D, 1, fpad), [1, 2, 0, 3]),
  dwRowFold: () => {
    // rows folded into channels: input [(a, in), 1, Wp, (y, B)], filter dy as [1, W, (y, B), out], one valid conv
    const Hp = H + cy, Wp = W + kw - 1;
    const pT = tf.reshape(tf.transpose(tf.pad(x, fpad as [number, number][]), [3, 2, 1, 0]), [C, Wp, Hp * B]); // [in, Wp, Hp·B]
    const rowsA = Array.from({ length: cy + 1 }, (_, a) => tf.slice(pT, [0, 0, a * B], [C, Wp, H * B])); // [in, Wp, H·B] each
    const input = tf.reshape(cy === 0 ? rowsA[0]! : tf.concat(rowsA, 0), [(cy + 1) * C, 1, Wp, H * B]) as tf.Tensor4D;
    const filter = tf.reshape(tf.transpose(tf.add(dy, 0), [2, 1, 0, 3]), [1, W, H * B, O]) as tf.Tensor4D;
    const out = tf.conv2d(input, filter, 1, 'valid'); // [(a, in), 1, kw, out]
    return tf.reshape(tf.transpose(tf.reshape(out, [cy + 1, C, kw, O]), [0, 2, 1, 3]), [taps.length * C, O]);
  },
};
// agreement against dwConv
{
  const ref = cases.dwConv!();
  const refFlat = tf.reshape(ref, [taps.length * C, O]);
  for (const n of ['dwRowFold']) {
    const r = cases[n]!();
    console.log(n, 'max |diff|', tf.max(tf.abs(tf.sub(r, refFlat))).dataSync()[0]);
  }
}
const times: Record<string, number[]> = {};
for (let r = 0; r < Number(process.argv[2] ?? 7); r++)
  for (const [n, f] of Object.entries(cases)) {
    const t0 = performance.now();
    const t = f();
    t.dataSync();
    const ms = performance.now() - t0;
    tf.dispose(t);
    if (r > 0) (times[n] ??= []).push(ms);
  }
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const flops = 2 * N * taps.length * C * O;
for (const [n, v] of Object.entries(times)) console.log(n.padEnd(12), med(v).toFixed(1).padStart(7), 'ms', (flops / med(v) / 1e6).toFixed(1), 'GFLOP/s(rect)');
