// `npx tsx bench/own-row-ab.ts [rounds]`: a layer that is only a mask-B own row (1×3, taps left and
// centre) at the MNIST Row LSTM's input-to-state shape (x [16, 28, 28, 32] → 4h = 64 gates): its
// weight gradient in pairs (three products for four: winograd.ts ownRowLayerWeightGradAt) and on the
// direct kernel, alternating call by call in one process; the forward pass and the input gradient,
// the same kernels on both sides, as a control for the noise. Prints medians, ratios, and the
// largest difference between the two sides' outputs. (Forward and input gradient in pairs were
// measured here too, 1.017 and 1.001 of the direct kernels, and so were not kept.)
import { selectBackend } from '../src/backend.js';
import { causalConvGradKernel, causalConvInputGradKernel, causalConvKernel } from '../src/kernels/causalConv.js';
import { setOwnRowPairs } from '../src/kernels/winograd.js';
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../src/tf.js';
import { median } from './stats.js';

await selectBackend('wasm');
const rounds = Number(process.argv[2] ?? 20);
const x = tf.randomNormal([16, 28, 28, 32], 0, 1, 'float32', 1) as Tensor4D;
const dy = tf.randomNormal([16, 28, 28, 64], 0, 1, 'float32', 2) as Tensor4D;
const w = tf.randomNormal([64, 64], 0, 0.2, 'float32', 3) as Tensor2D;
const bias = tf.randomNormal([64], 0, 1, 'float32', 4) as Tensor1D;
const rect = [0, 1, 3, 2] as const;
const calls = {
  forward: () => [causalConvKernel(x, w, bias, rect)],
  'input gradient': () => [causalConvInputGradKernel(dy, w, rect)],
  'weight gradient': () => causalConvGradKernel(x, dy, rect),
};
const sides = [
  { name: 'pairs', on: true },
  { name: 'direct', on: false },
];
const times = new Map<string, number[]>();
const outs = new Map<string, Float32Array[]>();
for (let r = 0; r < rounds + 2; r++)
  for (const side of r % 2 ? [...sides].reverse() : sides)
    for (const [name, call] of Object.entries(calls)) {
      setOwnRowPairs(side.on);
      const t0 = performance.now();
      const result = call() as tf.Tensor[];
      result.forEach((t) => t.dataSync());
      const ms = performance.now() - t0;
      const key = `${side.name} ${name}`;
      if (r >= 2) times.set(key, [...(times.get(key) ?? []), ms]);
      if (r === 0) outs.set(key, result.map((t) => t.dataSync().slice() as Float32Array));
      tf.dispose(result);
    }
setOwnRowPairs(true);
for (const name of Object.keys(calls)) {
  const [a, b] = [median(times.get(`pairs ${name}`)!), median(times.get(`direct ${name}`)!)];
  const diff = outs.get(`pairs ${name}`)!.map((v, i) => v.reduce((m, e, j) => Math.max(m, Math.abs(e - outs.get(`direct ${name}`)![i]![j]!)), 0));
  console.log(`${name.padEnd(16)} pairs ${a.toFixed(2)} ms, direct ${b.toFixed(2)} ms: ${(a / b).toFixed(3)}; largest difference ${diff.map((d) => d.toExponential(1)).join(', ')}`);
}
tf.dispose([x, dy, w, bias]);
