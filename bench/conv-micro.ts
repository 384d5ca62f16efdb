// `npx tsx bench/conv-micro.ts [repeats]`: GFLOP/s of each causal-conv kernel call at the reference
// PixelCNN's residual-layer shape (x [16, 28, 28, 64], 5 taps of a 3×3 mask B, 64 → 64), relaxed-SIMD
// vs plain-SIMD build alternating call by call, medians.
import { selectBackend } from '../src/backend.js';
import { causalConvGradKernel, causalConvInputGradKernel, causalConvKernel } from '../src/kernels/causalConv.js';
import { useKernelBuild, type KernelBuild } from '../src/kernels/module.js';
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../src/tf.js';
import { median } from './stats.js';

await selectBackend('wasm');
const repeats = Number(process.argv[2] ?? 15);
const x = tf.randomNormal([16, 28, 28, 64]) as Tensor4D;
const dy = tf.randomNormal([16, 28, 28, 64]) as Tensor4D;
const w = tf.randomNormal([320, 64]) as Tensor2D;
const bias = tf.randomNormal([64]) as Tensor1D;
const rect = [1, 1, 3, 5] as const;
const flops = 2 * 16 * 28 * 28 * 320 * 64;
const calls: Record<string, () => tf.Tensor[]> = {
  forward: () => [causalConvKernel(x, w, bias, rect)],
  'input grad': () => [causalConvInputGradKernel(dy, w, rect)],
  'weight grad': () => causalConvGradKernel(x, dy, rect),
};
const builds: KernelBuild[] = ['relaxed-simd', 'simd'];
for (const [name, call] of Object.entries(calls)) {
  const times: number[][] = builds.map(() => []);
  for (let i = 0; i < repeats + 2; i++)
    for (const k of i % 2 ? [1, 0] : [0, 1]) {
      useKernelBuild(builds[k]!);
      const t0 = performance.now();
      const out = call();
      out[0]!.dataSync();
      if (i >= 2) times[k]!.push(performance.now() - t0);
      tf.dispose(out);
    }
  console.log(`${name.padEnd(12)} ${builds.map((b, k) => `${b} ${median(times[k]!).toFixed(2)} ms = ${(flops / median(times[k]!) / 1e6).toFixed(1)} GFLOP/s`).join('   ')}`);
}
