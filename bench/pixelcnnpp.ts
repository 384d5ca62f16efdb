// PixelCNN++ benchmark (issue 14): the small preset at 32×32×3, K = 256, batch 16.
//   - training: Adam (the paper's optimizer), median of a few steps after warm-up, img/s and useful
//     GFLOP/s (pixelCnnPpFlops: the multiply-adds a stride-2 conv and a transposed conv need, not
//     the 4× the gather path computes for them); once with our wasm kernels for the shifted convs,
//     once with them off (the tfjs conv2d / matMul fallbacks), the two alternating step by step;
//   - which convolutions run on our kernels at the preset's widths;
//   - sampling 16 images: the cached sampler (src/models/pixelcnnpp/cachedSampler.ts) against the
//     naive one, which reruns the whole network per value — only a few positions are timed and
//     multiplied out to H·W·C (every position costs the same), so the naive figure is an
//     extrapolation — and one forward pass of the 16 images. Targets: cached ≥ 183× naive (Fast
//     PixelCNN++'s best) and ≤ 10× one forward pass.
//
// `npx tsx bench/pixelcnnpp.ts [backend]` runs it alone; `benchPixelCnnPp()` returns the figures.

import { pathToFileURL } from 'node:url';
import { selectBackend } from '../src/backend.js';
import { causalConvKernels, setCausalConvKernels } from '../src/kernels/causalConv.js';
import { defaultConvImpl } from '../src/layers/maskedConv.js';
import { cachedPixelCnnPpSampler, pixelCnnPpFlops, pixelCnnPpLayout, pixelCnnPpPresets, type PixelCnnPpSpec } from '../src/models/pixelcnnpp/index.js';
import { familyOf, initModel } from '../src/models/registry.js';
import { Rng } from '../src/rng.js';
import { tf, type Tensor4D } from '../src/tf.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { disposeAll, initTrainState, trainStep, type TrainState } from '../src/train/step.js';
import { measureSampler, median, type SamplingFigures } from './sampling.js';

export interface PixelCnnPpBench {
  readonly backend: string;
  readonly spec: PixelCnnPpSpec;
  readonly parameters: number;
  readonly training: {
    readonly batch: number;
    readonly kernels: { readonly stepSeconds: number; readonly imagesPerSecond: number; readonly usefulGflops: number };
    readonly fallback: { readonly stepSeconds: number; readonly imagesPerSecond: number; readonly usefulGflops: number } | null;
    readonly kernelSpeedup: number | null;
  };
  readonly convs: readonly { readonly layer: string; readonly widths: string; readonly forward: boolean; readonly inputGrad: boolean; readonly weightGrad: boolean }[];
  readonly sampling: SamplingFigures & { readonly note: string; readonly targets: { readonly speedup: number; readonly overForward: number } };
}

/**
 * Which of the network's convolutions our wasm kernels take, at the spec's widths (on the running
 * backend). On the gather path a conv over concat_elu runs once per piece (elu(x), elu(−x), and per
 * aux stream: network.ts), and conv₂ once per half (a, b): every conv's input is F wide.
 */
const kernelTable = (s: PixelCnnPpSpec) => {
  const F = s.nrFilters;
  const L = pixelCnnPpLayout(s);
  const rows: [string, number, number, boolean][] = [
    ['first convs (2×3, 1×3, 2×1 over the image)', s.channels + 1, F, false],
    ['block conv₁ per piece (2×3 down / 2×2 down-right)', F, F, true],
    ['block conv₂ per piece and half', F, F, true],
    ['aux 1×1 per piece', F, F, true],
    ['stride-2 convs (stride 1 on our kernels, subsampled)', F, F, true],
    ['transposed convs (over the zero-spread map)', F, F, true],
    ['head 1×1 (elu(ul) → C·F)', F, L.head.outFeatures, true],
  ];
  return rows.map(([layer, i, o, needsInputGrad]) => {
    const k = causalConvKernels(i, o);
    return { layer, widths: `${i} → ${o}`, forward: k.forward, inputGrad: needsInputGrad ? k.inputGrad : false, weightGrad: k.weightGrad };
  });
};

export const benchPixelCnnPp = (
  options: { batch?: number; warmup?: number; steps?: number; naivePositions?: number; log?: (line: string) => void } = {},
): PixelCnnPpBench => {
  const batch = options.batch ?? 16;
  const steps = options.steps ?? 5;
  const warmup = options.warmup ?? 1;
  const log = options.log ?? ((line: string) => console.log(line));
  const spec = pixelCnnPpPresets.small({ height: 32, width: 32, channels: 3, levels: 256 });
  const family = familyOf(spec);
  const flops = pixelCnnPpFlops(spec);
  const rng = Rng.fromSeed(3);
  const x = tf.tensor4d(Float32Array.from({ length: batch * 32 * 32 * 3 }, () => rng.int(256)), [batch, 32, 32, 3]) as Tensor4D;
  const options0 = { convImpl: defaultConvImpl() };
  const onWasm = tf.getBackend() === 'wasm';
  // two training states taking turns, kernels on and off, so that both see the same machine load
  let states: [TrainState, TrainState | null] = [
    initTrainState(spec, family.init(spec, 1), defaultOptimizer('adam')),
    onWasm ? initTrainState(spec, family.init(spec, 1), defaultOptimizer('adam')) : null,
  ];
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < warmup + steps; i++)
    for (const k of [0, 1] as const) {
      const s = states[k];
      if (!s) continue;
      setCausalConvKernels(k === 0);
      const t0 = performance.now();
      const next = trainStep(s, x, options0).state;
      if (i >= warmup) times[k].push((performance.now() - t0) / 1000);
      states = k === 0 ? [next, states[1]] : [states[0], next];
    }
  setCausalConvKernels(true);
  const parameters = Object.values(states[0].params).reduce((n, t) => n + t.size, 0);
  for (const s of states) if (s) disposeAll(s.params, s.slots);
  x.dispose();
  const figures = (ts: number[]) => {
    const stepSeconds = median(ts);
    return { stepSeconds, imagesPerSecond: batch / stepSeconds, usefulGflops: (flops.train * batch) / stepSeconds / 1e9 };
  };
  const kernels = figures(times[0]);
  const fallback = times[1].length ? figures(times[1]) : null;
  const training = { batch, kernels, fallback, kernelSpeedup: fallback ? fallback.stepSeconds / kernels.stepSeconds : null };
  log(`\nPixelCNN++ small (${tf.getBackend()}): 32×32×3, K=256, nrResnet ${spec.nrResnet}, nrFilters ${spec.nrFilters}, ${String(spec.likelihood.components)} logistic components, ${parameters} params`);
  log(`  ${(flops.forward / 1e9).toFixed(2)} GFLOP per image forward, ${(flops.train / 1e9).toFixed(2)} per trained image (useful multiply-adds ×2)`);
  log(`  training, batch ${batch}, Adam, median of ${steps} steps after ${warmup} warm-up:`);
  log(`    our kernels  ${kernels.imagesPerSecond.toFixed(2).padStart(6)} img/s  ${kernels.stepSeconds.toFixed(2)} s/step  ${kernels.usefulGflops.toFixed(2)} useful GFLOP/s`);
  if (fallback)
    log(`    tfjs paths   ${fallback.imagesPerSecond.toFixed(2).padStart(6)} img/s  ${fallback.stepSeconds.toFixed(2)} s/step  ${fallback.usefulGflops.toFixed(2)} useful GFLOP/s   (kernels ${training.kernelSpeedup!.toFixed(2)}× faster)`);
  const convs = kernelTable(spec);
  log('  convolutions on our wasm kernels at these widths (forward / input gradient / weight gradient):');
  for (const c of convs) log(`    ${c.layer.padEnd(52)} ${c.widths.padEnd(9)} ${[c.forward, c.inputGrad, c.weightGrad].map((v) => (v ? 'yes' : 'no ')).join(' / ')}`);

  const naivePositions = options.naivePositions ?? 3;
  const model = initModel(spec, 1);
  const measured = measureSampler(model, cachedPixelCnnPpSampler, batch, naivePositions, 3);
  disposeAll(model.params);
  const note = `PixelCNN++ small, 32×32×3, batch ${batch}; naive time extrapolated linearly from ${naivePositions} timed positions × H·W·C = ${32 * 32 * 3}`;
  const sampling = { shape: '32×32×3', ...measured, note, targets: { speedup: 183, overForward: 10 } };
  log(`  sampling: ${note}`);
  log('    forward s   cached s   naive s (extrap.)   speedup   cached/forward');
  log(
    `    ${sampling.forwardSeconds.toFixed(3).padStart(9)}  ${sampling.cachedSeconds.toFixed(2).padStart(9)}  ${sampling.naiveSeconds.toFixed(1).padStart(18)}  ${sampling.speedup.toFixed(0).padStart(7)}×  ${sampling.cachedOverForward.toFixed(2).padStart(14)}×   (targets ≥ 183×, ≤ 10×)`,
  );
  return { backend: tf.getBackend(), spec, parameters, training, convs, sampling };
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const backend = await selectBackend(process.env.PIXELSTREAMS_BACKEND ?? process.argv[2]);
  if (backend._tag === 'Left') throw backend.left;
  const r = benchPixelCnnPp();
  console.log(JSON.stringify(r, null, 2));
}
