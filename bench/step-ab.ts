// `npx tsx bench/step-ab.ts CHANGE [steps] [model]`: one training step (batch 16, RMSProp, in-process,
// wasm) with and without one change, alternating step by step in one process; medians and the ratio.
// CHANGE: 'relaxed' (relaxed-SIMD kernels vs the plain-SIMD fallback, module.ts useKernelBuild),
// 'cross-entropy' (the fused softmax cross-entropy kernel vs likelihood.ts's tfjs ops), 'winograd'
// (Winograd 3×3 mask-B layers vs the direct kernels, src/kernels/winograd.ts), 'winograd-plane' (its
// 2-D transform vs the 1-D one along x only), 'winograd-runs' (its maps transformed a cache-sized run of
// images at a time vs the whole batch at once), 'own-row-pairs' (a mask-B layer's own row in pairs of
// outputs, three products for two, vs the direct kernels), 'residual-fused' (a residual layer h + conv(relu(h))
// with its ReLU, residual sum and their gradients inside the Winograd kernels vs relu, conv and add ops),
// 'training-plane-grads' (a training step's hidden input gradients through the 2-D transform vs exactly causal),
// 'head-fused' (the last 1×1 layer, its softmax cross-entropy and their gradients in one tiled kernel vs
// the 1×1 conv kernels and the cross-entropy kernel apart), 'row-scan-f23' (the Row LSTM backward scan's
// state-to-state products through Winograd F(2, 3) along the row above vs direct; use mnist-row-lstm).
// model: 'reference' (default, the reference PixelCNN), 'mnist-row-lstm' or 'mnist-diagonal-bilstm'.
import { selectBackend } from '../src/backend.js';
import type { RecordBatch } from '../src/data/records.js';
import { setCrossEntropyKernel, setHeadFusion } from '../src/kernels/crossEntropy.js';
import { setRowScanWinograd } from '../src/kernels/lstmScan.js';
import { useKernelBuild } from '../src/kernels/module.js';
import { setOwnRowPairs, setResidualFusion, setTrainingPlaneGrads, setWinograd, setWinogradPlane, setWinogradRunBytes } from '../src/kernels/winograd.js';
import { familyOf, presetOrThrow } from '../src/models/registry.js';
import { Rng } from '../src/rng.js';
import { localEngine } from '../src/train/engine.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { applyStep, disposeAll, initTrainState, type TrainState } from '../src/train/step.js';
import { median } from './stats.js';

await selectBackend('wasm');
const changes: Record<string, readonly [string, () => void][]> = {
  relaxed: [['relaxed-simd', () => useKernelBuild('relaxed-simd')], ['simd', () => useKernelBuild('simd')]],
  'cross-entropy': [['fused kernel', () => setCrossEntropyKernel(true)], ['tfjs ops', () => setCrossEntropyKernel(false)]],
  winograd: [['Winograd', () => setWinograd(true)], ['direct', () => setWinograd(false)]],
  'winograd-plane': [['2-D', () => setWinogradPlane(true)], ['1-D (along x)', () => setWinogradPlane(false)]],
  'winograd-runs': [['runs of 1.5 MiB', () => setWinogradRunBytes(1.5 * 2 ** 20)], ['whole batch', () => setWinogradRunBytes(Infinity)]],
  'own-row-pairs': [['own row in pairs', () => setOwnRowPairs(true)], ['own row direct', () => setOwnRowPairs(false)]],
  'residual-fused': [['fused residual', () => setResidualFusion(true)], ['relu, conv, add', () => setResidualFusion(false)]],
  'head-fused': [['fused head', () => setHeadFusion(true)], ['head apart', () => setHeadFusion(false)]],
  'row-scan-f23': [['F(2, 3) backward scan', () => setRowScanWinograd(true)], ['direct backward scan', () => setRowScanWinograd(false)]],
  'training-plane-grads': [['2-D input gradients', () => setTrainingPlaneGrads(true)], ['exact input gradients', () => setTrainingPlaneGrads(false)]],
};
const change = process.argv[2] ?? '';
const builds = changes[change];
if (!builds) throw new Error(`bench/step-ab.ts: CHANGE must be one of ${Object.keys(changes).join(', ')}, found '${change}'`);
const steps = Number(process.argv[3] ?? 10);
const which = process.argv[4] ?? 'reference';
const spec =
  which === 'reference'
    ? presetOrThrow('pixelcnn', 'reference')({ height: 28, width: 28, channels: 1, levels: 256 })
    : presetOrThrow(which.replace(/^mnist-/, ''), 'mnist')!({ height: 28, width: 28, channels: 1, levels: 2 });
const engine = localEngine({ convImpl: 'gather' });
const states: TrainState[] = builds.map(() => initTrainState(spec, familyOf(spec).init(spec, 1), defaultOptimizer('rmsprop')));
const times: number[][] = builds.map(() => []);
const losses: number[][] = builds.map(() => []);
const batchOf = (i: number): RecordBatch => {
  const rng = Rng.fromSeed(1000 + i, 5);
  const value = spec.levels === 2 ? () => (rng.uniform() < 0.2 ? 1 : 0) : () => Math.floor(rng.uniform() * spec.levels);
  return { shape: spec, index: i, records: Array.from({ length: 16 }, (_, k) => ({ index: k, pixels: Uint8Array.from({ length: 784 }, value) })) };
};
for (let i = 0; i < steps + 2; i++) {
  const order = i % 2 ? [1, 0] : [0, 1];
  for (const k of order) {
    builds[k]![1]();
    const t0 = performance.now();
    const { loss, grads } = await engine.compute(spec, states[k]!.params, batchOf(i));
    states[k] = applyStep(states[k]!, loss, grads, 16).state;
    if (i >= 2) times[k]!.push(performance.now() - t0);
    losses[k]!.push(loss);
  }
}
builds.forEach(([b], k) => console.log(`${b.padEnd(13)} median step ${median(times[k]!).toFixed(1)} ms = ${(16000 / median(times[k]!)).toFixed(1)} img/s; losses ${losses[k]!.map((l) => l.toFixed(2)).join(' ')}`));
console.log(`${which}, ${change}: ${builds[0]![0]} ÷ ${builds[1]![0]} step time: ${(median(times[0]!) / median(times[1]!)).toFixed(3)} (${steps} steps each, alternating)`);
states.forEach((s) => disposeAll(s.params, s.slots));
