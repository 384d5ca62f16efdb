// Gated PixelCNN benchmark: training speed of the small preset at 32×32×3, K = 256,
// batch 16 (RMSProp, median of a few steps after warm-up), beside PixelCNN's small preset on the
// same images; and sampling a batch of 16 images 32×32×3 with the cached sampler against the naive
// one (which reruns the whole network per value: only a few positions are timed and multiplied
// out to H·W·C — every position costs the same — so the naive figure is an extrapolation).
// Target: cached ≥ 200× naive.
//
// `npx tsx bench/gatedPixelCnn.ts [backend]` runs it alone; `benchGatedPixelCnn()` returns the figures.

import { pathToFileURL } from 'node:url';
import { selectBackend } from '../src/backend.js';
import { defaultConvImpl } from '../src/layers/maskedConv.js';
import type { BaseSpec } from '../src/model.js';
import { cachedGatedPixelCnnSampler, gatedPixelCnnFlops } from '../src/models/gatedPixelCnn/index.js';
import { gatedPixelCnnPresets } from '../src/models/gatedPixelCnn/spec.js';
import { familyOf, initModel, presetFor } from '../src/models/registry.js';
import { Rng } from '../src/rng.js';
import { tf, type Tensor4D } from '../src/tf.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { disposeAll, initTrainState, trainStep } from '../src/train/step.js';
import { measureSampler, median, type SamplingFigures } from './sampling.js';

export interface TrainingFigures {
  readonly family: string;
  readonly config: string;
  readonly batch: number;
  readonly parameters: number;
  readonly stepSeconds: number; // median
  readonly imagesPerSecond: number;
  readonly usefulGflops: number | null; // the family's trainingFlops × img/s
}

export interface GatedPixelCnnBench {
  readonly backend: string;
  readonly training: TrainingFigures[];
  readonly sampling: SamplingFigures & { readonly note: string };
}

const timeTraining = (spec: BaseSpec, batch: number, warmup: number, steps: number): TrainingFigures => {
  const options = { convImpl: defaultConvImpl() };
  const family = familyOf(spec);
  const rng = Rng.fromSeed(3);
  const x = tf.tensor4d(
    Float32Array.from({ length: batch * spec.height * spec.width * spec.channels }, () => rng.int(spec.levels)),
    [batch, spec.height, spec.width, spec.channels],
  ) as Tensor4D;
  let state = initTrainState(spec, family.init(spec, 1), defaultOptimizer('rmsprop'));
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    state = trainStep(state, x, options).state;
    if (i >= warmup) times.push((performance.now() - t0) / 1000);
  }
  const parameters = Object.values(state.params).reduce((n, t) => n + t.size, 0);
  disposeAll(state.params, state.slots);
  x.dispose();
  const stepSeconds = median(times);
  const flops = family.trainingFlops?.(spec);
  const { family: _f, height, width, channels, levels, likelihood: _l, ...body } = spec as BaseSpec & Record<string, unknown>;
  return {
    family: family.label,
    config: `${height}×${width}×${channels}, K=${levels}, ${JSON.stringify(body)}`,
    batch,
    parameters,
    stepSeconds,
    imagesPerSecond: batch / stepSeconds,
    usefulGflops: flops === undefined ? null : (flops * batch) / stepSeconds / 1e9,
  };
};

export const benchGatedPixelCnn = (
  options: { batch?: number; warmup?: number; steps?: number; naivePositions?: number; log?: (line: string) => void } = {},
): GatedPixelCnnBench => {
  const batch = options.batch ?? 16;
  const log = options.log ?? ((line: string) => console.log(line));
  const shape = { height: 32, width: 32, channels: 3 as const, levels: 256 };
  const gated = gatedPixelCnnPresets.small(shape);
  const pixelCnnSmall = presetFor('pixelcnn', 'small');
  const specs: BaseSpec[] = [gated, ...(pixelCnnSmall._tag === 'Right' ? [pixelCnnSmall.right(shape)] : [])];
  const training = specs.map((s) => timeTraining(s, batch, options.warmup ?? 1, options.steps ?? 5));
  log(`\nGated PixelCNN training (${tf.getBackend()}, batch ${batch}, RMSProp, median of ${options.steps ?? 5} steps after ${options.warmup ?? 1} warm-up):`);
  for (const r of training)
    log(
      `  ${r.family.padEnd(15)} ${r.imagesPerSecond.toFixed(2).padStart(7)} img/s   ${r.stepSeconds.toFixed(2)} s/step   ${r.usefulGflops?.toFixed(2) ?? '?'} useful GFLOP/s   ${r.parameters} params   ${r.config}`,
    );
  log(`  (Gated PixelCNN small: ${(gatedPixelCnnFlops(gated).train / 1e9).toFixed(2)} GFLOP per trained image)`);

  const naivePositions = options.naivePositions ?? 3;
  const model = initModel(gated, 1);
  const figures = measureSampler(model, cachedGatedPixelCnnSampler, batch, naivePositions, 3);
  disposeAll(model.params);
  const note = `Gated PixelCNN small preset (p=32, 5 gated layers, 7×7 first, 3×3 after, K=256), 32×32×3, batch ${batch}; naive time extrapolated linearly from ${naivePositions} timed positions × H·W·C = ${32 * 32 * 3}`;
  const sampling = { shape: '32×32×3', ...figures, note };
  log(`\nGated PixelCNN sampling (${tf.getBackend()}): ${note}`);
  log('shape      forward s   cached s   naive s (extrap.)   speedup   cached/forward');
  log(
    `${sampling.shape.padEnd(10)} ${sampling.forwardSeconds.toFixed(3).padStart(9)}  ${sampling.cachedSeconds.toFixed(2).padStart(9)}  ${sampling.naiveSeconds.toFixed(1).padStart(18)}  ${sampling.speedup.toFixed(0).padStart(7)}×  ${sampling.cachedOverForward.toFixed(2).padStart(14)}×   (target ≥ 200×)`,
  );
  return { backend: tf.getBackend(), training, sampling };
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const backend = await selectBackend(process.env.PIXELSTREAMS_BACKEND ?? process.argv[2]);
  if (backend._tag === 'Left') throw backend.left;
  console.log(JSON.stringify(benchGatedPixelCnn(), null, 2));
}
