// `npx tsx bench/row-scan-ab.ts [rounds]`: the Row LSTM's scan kernels (wasm, this tree) with the
// backward pass's state-to-state products through Winograd F(2, 3) and direct, called in turn on the
// same inputs in one process — the MNIST Row LSTM's geometry (batch 16, 28 rows of 28, h = 16).
// Prints each side's median forward time (the same kernel on both sides: a control for the noise)
// and backward time, the ratios, and the largest difference between their outputs.
import { selectBackend } from '../src/backend.js';
import { lstmScanGradKernelName, lstmScanKernelName, setRowScanWinograd } from '../src/kernels/lstmScan.js';
import { Rng } from '../src/rng.js';
import { tf } from '../src/tf.js';
import { median } from './stats.js';

await selectBackend('wasm');
const rounds = Number(process.argv[2] ?? 30);
const [batch, height, width, hidden] = [16, 28, 28, 16];
const rng = Rng.fromSeed(3, 1);
const random = (shape: number[], scale: number) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * scale), shape);
const pre = random([batch, height, width, 4 * hidden], 1);
const w = random([3 * hidden, 4 * hidden], 0.25);
const [h0, c0] = [random([hidden], 0.5), random([hidden], 0.5)];
const dStates = random([batch * height * width, hidden], 1);
const attrs = { batch, mode: 'rows', height, width, offsets: [-1, 0, 1], reverse: 0, hidden } as unknown as tf.NamedAttrMap;
const sides = [
  { name: 'F(2, 3)', on: true, forward: [] as number[], backward: [] as number[], out: [] as Float32Array[] },
  { name: 'direct', on: false, forward: [] as number[], backward: [] as number[], out: [] as Float32Array[] },
];
for (let r = 0; r < rounds + 2; r++) {
  for (const side of r % 2 ? [...sides].reverse() : sides) {
    setRowScanWinograd(side.on);
    const t0 = performance.now();
    const [states, tape] = tf.engine().runKernel(lstmScanKernelName, { pre, w, h0, c0 }, attrs) as tf.Tensor[];
    await states!.data();
    const t1 = performance.now();
    const grads = tf.engine().runKernel(lstmScanGradKernelName, { dStates, tape: tape!, w, h0, c0 }, attrs) as tf.Tensor[];
    await grads[0]!.data();
    const t2 = performance.now();
    if (r >= 2) side.forward.push(t1 - t0), side.backward.push(t2 - t1);
    if (r === 0) side.out = [states!, ...grads].map((t) => t.dataSync() as Float32Array);
    tf.dispose([states!, tape!, ...grads]);
  }
}
setRowScanWinograd(true);
const worst = sides[0]!.out.map((a, i) => a.reduce((m, v, j) => Math.max(m, Math.abs(v - sides[1]!.out[i]![j]!) / Math.max(1, Math.abs(sides[1]!.out[i]![j]!))), 0));
for (const s of sides) console.log(`${s.name.padEnd(8)} forward ${median(s.forward).toFixed(2)} ms, backward ${median(s.backward).toFixed(2)} ms`);
console.log(`F(2, 3) ÷ direct: forward ${(median(sides[0]!.forward) / median(sides[1]!.forward)).toFixed(3)}, backward ${(median(sides[0]!.backward) / median(sides[1]!.backward)).toFixed(3)} (${rounds} rounds each, alternating)`);
console.log(`largest relative difference, states / dPre / dW / dh0 / dc0: ${worst.map((e) => e.toExponential(1)).join(' / ')}`);
tf.dispose([pre, w, h0, c0, dStates]);
