// Quick timer for the cached samplers alone (no naive, no torch): `npx tsx bench/sample-speed.ts [reps] [--rnn]`.
// Prints the median seconds for 16 images of the reference PixelCNN at 28×28×1 and 32×32×3, and the
// MNIST Row LSTM and Diagonal BiLSTM (K = 2) with --rnn.
import { selectBackend } from '../src/backend.js';
import { initModel, presetOrThrow } from '../src/models/registry.js';
import { samplerFor, samplingSteps } from '../src/sampling/session.js';
import type { SamplerFactory } from '../src/sampling/types.js';
import type { AutoregressiveModel } from '../src/model.js';
import { disposeAll } from '../src/train/step.js';
import { median } from './stats.js';

/** Seconds for the whole batch (or `positions` steps after one). Like bench/sampling.ts samplerSeconds, not imported: that file runs its own bench when bundled. */
const samplerSeconds = (model: AutoregressiveModel, batch: number, factory: SamplerFactory, positions?: number): number => {
  const options = { count: batch, batchSize: batch, seed: 1, temperature: 1, keepRows: 0, known: null, labels: null, cached: true };
  const steps = samplingSteps(model, options, factory);
  const t0 = performance.now();
  if (positions === undefined) for (const _ of steps);
  else for (let n = 0; n < positions; n++) steps.next();
  steps.return();
  return (performance.now() - t0) / 1000;
};

const b = await selectBackend('wasm');
if (b._tag === 'Left') throw b.left;
const reps = Number(process.argv[2] ?? 3);
if (process.argv.includes('--rnn'))
  for (const family of ['row-lstm', 'diagonal-bilstm']) {
    const model = initModel(presetOrThrow(family, 'mnist')({ height: 28, width: 28, channels: 1, levels: 2 }), 1);
    const cached = samplerFor(model, true);
    samplerSeconds(model, 16, cached, 56);
    const times = Array.from({ length: reps }, () => samplerSeconds(model, 16, cached));
    console.log(`mnist ${family} 28×28×1: cached ${median(times).toFixed(3)} s (${times.map((t) => t.toFixed(3)).join(' ')})`);
    disposeAll(model.params);
  }
for (const [h, w, c] of [[28, 28, 1], [32, 32, 3]] as const) {
  const spec = presetOrThrow('pixelcnn', 'reference')({ height: h, width: w, channels: c, levels: 256 });
  const model = initModel(spec, 1);
  const cached = samplerFor(model, true);
  samplerSeconds(model, 16, cached, 2 * w * c);
  const times = Array.from({ length: reps }, () => samplerSeconds(model, 16, cached));
  console.log(`${h}×${w}×${c}: cached ${median(times).toFixed(3)} s (${times.map((t) => t.toFixed(3)).join(' ')})`);
  disposeAll(model.params);
}
