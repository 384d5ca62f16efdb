// PixelRNN sampling benchmark: for the paper's binarized-MNIST Diagonal BiLSTM (28×28×1,
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
import { cachedPixelRnnSampler } from '../src/models/pixelrnn/cachedSampler.js';
import { initModel, presetFor } from '../src/models/registry.js';
import { tf } from '../src/tf.js';
import { disposeAll } from '../src/train/step.js';
import { measureSampler, type SamplingFigures } from './sampling.js';

export interface RecurrentSamplingFigures extends SamplingFigures {
  readonly model: string; // preset name
}

export interface RecurrentSamplingBench {
  readonly backend: string;
  readonly note: string;
  readonly results: RecurrentSamplingFigures[];
}

export const benchRecurrentSampling = (
  options: { batch?: number; naivePositions?: number; forwardRepeats?: number; log?: (line: string) => void } = {},
): RecurrentSamplingBench => {
  const batch = options.batch ?? 16;
  const naivePositions = options.naivePositions ?? 3;
  const log = options.log ?? ((line: string) => console.log(line));
  const img = { height: 28, width: 28, channels: 1 as const, levels: 2 };
  const results: RecurrentSamplingFigures[] = [];
  for (const name of ['mnist-diagonal-bilstm', 'mnist-row-lstm']) {
    const preset = presetFor(name.replace(/^mnist-/, ''), 'mnist');
    if (preset._tag === 'Left') throw preset.left;
    const model = initModel(preset.right(img), 1);
    results.push({
      model: name,
      shape: `${img.height}×${img.width}×${img.channels}`,
      ...measureSampler(model, cachedPixelRnnSampler, batch, naivePositions, options.forwardRepeats ?? 3),
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
