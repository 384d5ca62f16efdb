// PixelRNN sampling benchmark (issue 5): for the paper's binarized-MNIST Diagonal BiLSTM (28×28×1,
// K = 2, h = 16, 7 layers, preset 'mnist-diagonal-bilstm') and a Row LSTM of the same size
// ('mnist-row-lstm'), the time to sample a batch of 16 images with the cached sampler
// (src/sampling/cachedPixelRnn.ts), the naive sampler's time (extrapolated: it reruns the whole
// network for each of the H·W·C values, so a few positions are timed and multiplied out — every
// position costs the same), the speedup, and the cached time as a multiple of one forward pass.
//
// `npx tsx bench/samplingRecurrent.ts [backend]` runs it alone; `npm run bench` calls
// `benchRecurrentSampling({ log })`.

import { pathToFileURL } from 'node:url';
import { selectBackend } from '../src/backend.js';
import type { AutoregressiveModel } from '../src/model.js';
import { initModel, presets } from '../src/models/registry.js';
import { cachedPixelRnnSampler } from '../src/sampling/cachedPixelRnn.js';
import { naiveSampler } from '../src/sampling/naive.js';
import { samplingSteps } from '../src/sampling/session.js';
import type { SamplerFactory } from '../src/sampling/types.js';
import { tf, type Tensor4D } from '../src/tf.js';
import { disposeAll } from '../src/train/step.js';

export interface RecurrentSamplingFigures {
  readonly model: string; // preset name
  readonly shape: string; // "28×28×1"
  readonly batch: number;
  readonly forwardSeconds: number; // one forward pass over the batch (median)
  readonly cachedSeconds: number; // whole batch, cached sampler
  readonly naiveSeconds: number; // whole batch, naive sampler — extrapolated
  readonly naivePositionsTimed: number;
  readonly speedup: number; // naive ÷ cached
  readonly cachedOverForward: number; // cached ÷ one forward pass
}

export interface RecurrentSamplingBench {
  readonly backend: string;
  readonly note: string;
  readonly results: RecurrentSamplingFigures[];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const forwardSeconds = (model: AutoregressiveModel, batch: number, repeats: number): number => {
  const { height: H, width: W, channels: C, levels: K } = model.spec;
  const x = tf.tidy(() => tf.floor(tf.randomUniform([batch, H, W, C], 0, K))) as Tensor4D;
  const once = () => {
    const t0 = performance.now();
    const y = model.logits(x);
    y.dataSync();
    y.dispose();
    return (performance.now() - t0) / 1000;
  };
  once(); // warm-up
  const times = Array.from({ length: repeats }, once);
  x.dispose();
  return median(times);
};

/** Seconds for `positions` steps of a sampler (after one warm-up step), or for all H·W·C steps. */
const samplerSeconds = (model: AutoregressiveModel, batch: number, factory: SamplerFactory, positions?: number): number => {
  const options = { count: batch, batchSize: batch, seed: 1, temperature: 1, keepRows: 0, known: null, cached: true };
  const steps = samplingSteps(model, options, factory);
  if (positions === undefined) {
    const t0 = performance.now();
    for (const _ of steps);
    return (performance.now() - t0) / 1000;
  }
  steps.next();
  const t0 = performance.now();
  for (let n = 0; n < positions; n++) steps.next();
  const seconds = (performance.now() - t0) / 1000;
  steps.return();
  return seconds;
};

export const benchRecurrentSampling = (
  options: { batch?: number; naivePositions?: number; forwardRepeats?: number; log?: (line: string) => void } = {},
): RecurrentSamplingBench => {
  const batch = options.batch ?? 16;
  const naivePositions = options.naivePositions ?? 3;
  const log = options.log ?? ((line: string) => console.log(line));
  const img = { height: 28, width: 28, channels: 1 as const, levels: 2 };
  const results: RecurrentSamplingFigures[] = [];
  for (const name of ['mnist-diagonal-bilstm', 'mnist-row-lstm']) {
    const model = initModel(presets[name]!(img), 1);
    const values = img.height * img.width * img.channels;
    const forward = forwardSeconds(model, batch, options.forwardRepeats ?? 3);
    samplerSeconds(model, batch, cachedPixelRnnSampler, 3 * img.width); // warm the JIT
    const cached = samplerSeconds(model, batch, cachedPixelRnnSampler);
    const naive = (samplerSeconds(model, batch, naiveSampler, naivePositions) / naivePositions) * values;
    results.push({
      model: name,
      shape: `${img.height}×${img.width}×${img.channels}`,
      batch,
      forwardSeconds: forward,
      cachedSeconds: cached,
      naiveSeconds: naive,
      naivePositionsTimed: naivePositions,
      speedup: naive / cached,
      cachedOverForward: cached / forward,
    });
    disposeAll(model.params);
  }
  const note = `28×28×1 binarized (K=2), h=16, 7 layers, 7×7 mask A, residual + skip, batch ${batch}; naive time extrapolated linearly from ${naivePositions} timed positions × H·W·C`;
  log(`\nPixelRNN sampling (${tf.getBackend()}): ${note}`);
  log('model                   forward s   cached s   naive s (extrap.)   speedup   cached/forward');
  for (const r of results)
    log(
      `${r.model.padEnd(22)} ${r.forwardSeconds.toFixed(3).padStart(10)}  ${r.cachedSeconds.toFixed(2).padStart(9)}  ${r.naiveSeconds.toFixed(1).padStart(18)}  ${r.speedup.toFixed(0).padStart(7)}×  ${r.cachedOverForward.toFixed(2).padStart(14)}×`,
    );
  return { backend: tf.getBackend(), note, results };
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const backend = await selectBackend(process.env.PIXELSTREAMS_BACKEND ?? process.argv[2] ?? 'wasm');
  if (backend._tag === 'Left') throw backend.left;
  console.log(JSON.stringify(benchRecurrentSampling(), null, 2));
}
