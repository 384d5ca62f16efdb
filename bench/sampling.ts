// Sampling benchmark: for a 28×28×1 and a 32×32×3 PixelCNN at the reference widths
// (h = 64, 6 residual layers, K = 256), the time to sample a batch of 16 images with the cached
// sampler, the naive sampler's time (extrapolated: it reruns the whole network for each of the
// H·W·C values, so only a few positions are timed and multiplied out — each position costs the same),
// the speedup, and the cached time as a multiple of one forward pass over the same batch.
//
// `npx tsx bench/sampling.ts` runs it alone; `benchSampling()` is what `npm run bench` calls.

import { pathToFileURL } from 'node:url';
import { selectBackend } from '../src/backend.js';
import type { AutoregressiveModel } from '../src/model.js';
import { initModel, presets } from '../src/models/registry.js';
import { cachedPixelCnnSampler } from '../src/models/pixelcnn/cachedSampler.js';
import { naiveSampler } from '../src/sampling/naive.js';
import { samplingSteps } from '../src/sampling/session.js';
import type { SamplerFactory } from '../src/sampling/types.js';
import { tf, type Tensor4D } from '../src/tf.js';
import { disposeAll } from '../src/train/step.js';
import { median } from './stats.js';
export { median } from './stats.js';

export interface SamplingFigures {
  readonly shape: string; // e.g. "32×32×3"
  readonly batch: number;
  readonly forwardSeconds: number; // one forward pass over the batch (median)
  readonly cachedSeconds: number; // whole batch, cached sampler
  readonly naiveSeconds: number; // whole batch, naive sampler — extrapolated
  readonly naivePositionsTimed: number;
  readonly speedup: number; // naive ÷ cached
  readonly cachedOverForward: number; // cached ÷ one forward pass
}

export interface SamplingBench {
  readonly backend: string;
  readonly note: string;
  readonly results: SamplingFigures[];
}


export const forwardSeconds = (model: AutoregressiveModel, batch: number, repeats: number): number => {
  const { height: H, width: W, channels: C, levels: K } = model.spec;
  const x = tf.tidy(() => tf.floor(tf.randomUniform([batch, H, W, C], 0, K))) as Tensor4D;
  const once = () => {
    const t0 = performance.now();
    const y = model.forward(x);
    y.dataSync();
    y.dispose();
    return (performance.now() - t0) / 1000;
  };
  once(); // warm-up
  const times = Array.from({ length: repeats }, once);
  x.dispose();
  return median(times);
};

/** Seconds for `positions` steps of a sampler (after one warm-up step), and for all H·W·C steps when positions is omitted. */
export const samplerSeconds = (model: AutoregressiveModel, batch: number, factory: SamplerFactory, positions?: number): number => {
  const options = { count: batch, batchSize: batch, seed: 1, temperature: 1, keepRows: 0, known: null, labels: null, cached: true };
  const steps = samplingSteps(model, options, factory);
  if (positions === undefined) {
    const t0 = performance.now();
    for (const _ of steps);
    return (performance.now() - t0) / 1000;
  }
  steps.next(); // warm-up (and sampler set-up)
  const t0 = performance.now();
  for (let n = 0; n < positions; n++) steps.next();
  const seconds = (performance.now() - t0) / 1000;
  steps.return();
  return seconds;
};

/** One model: forward pass, cached sampler (whole batch), naive sampler (extrapolated), ratios. */
export const measureSampler = (
  model: AutoregressiveModel,
  cachedFactory: SamplerFactory,
  batch: number,
  naivePositions: number,
  forwardRepeats: number,
): Omit<SamplingFigures, 'shape'> => {
  const { height: H, width: W, channels: C } = model.spec;
  const forward = forwardSeconds(model, batch, forwardRepeats);
  samplerSeconds(model, batch, cachedFactory, 2 * W * C); // warm the JIT
  const cached = samplerSeconds(model, batch, cachedFactory);
  const naive = (samplerSeconds(model, batch, naiveSampler, naivePositions) / naivePositions) * H * W * C;
  return {
    batch,
    forwardSeconds: forward,
    cachedSeconds: cached,
    naiveSeconds: naive,
    naivePositionsTimed: naivePositions,
    speedup: naive / cached,
    cachedOverForward: cached / forward,
  };
};

export const benchSampling = (
  options: { batch?: number; naivePositions?: number; forwardRepeats?: number; log?: (line: string) => void } = {},
): SamplingBench => {
  const batch = options.batch ?? 16;
  const naivePositions = options.naivePositions ?? 3;
  const log = options.log ?? ((line: string) => console.log(line));
  const results: SamplingFigures[] = [];
  for (const [size, channels] of [
    [28, 1],
    [32, 3],
  ] as const) {
    const model = initModel(presets.reference!({ height: size, width: size, channels, levels: 256 }), 1);
    results.push({ shape: `${size}×${size}×${channels}`, ...measureSampler(model, cachedPixelCnnSampler, batch, naivePositions, options.forwardRepeats ?? 3) });
    disposeAll(model.params);
  }
  const note = `PixelCNN reference widths (h=64, 6 residual 3×3 layers, 7×7 mask A, K=256), batch ${batch}; naive time extrapolated linearly from ${naivePositions} timed positions × H·W·C`;
  log(`\nSampling (${tf.getBackend()}): ${note}`);
  log('shape      forward s   cached s   naive s (extrap.)   speedup   cached/forward');
  for (const r of results)
    log(
      `${r.shape.padEnd(10)} ${r.forwardSeconds.toFixed(3).padStart(9)}  ${r.cachedSeconds.toFixed(2).padStart(9)}  ${r.naiveSeconds.toFixed(1).padStart(18)}  ${r.speedup.toFixed(0).padStart(7)}×  ${r.cachedOverForward.toFixed(2).padStart(14)}×`,
    );
  return { backend: tf.getBackend(), note, results };
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const backend = await selectBackend(process.env.PIXELSTREAMS_BACKEND ?? process.argv[2]);
  if (backend._tag === 'Left') throw backend.left;
  console.log(JSON.stringify(benchSampling(), null, 2));
}
