// `npx tsx bench/step-kernels.ts [backend] [batch] [model]`: every kernel of one training step on wasm,
// with its input shapes and time, grouped by (kernel, shapes) — where the step's time goes, finer than
// bench --profile. model: 'reference' (default, the reference PixelCNN), 'mnist-row-lstm',
// 'mnist-diagonal-bilstm' (binarized MNIST presets). Prints the kernel build in use (module.ts).
import { selectBackend } from '../src/backend.js';
import { familyOf, presetOrThrow } from '../src/models/registry.js';
import { kernelBuild } from '../src/kernels/module.js';
import { tf } from '../src/tf.js';
import { localEngine } from '../src/train/engine.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { applyStep, disposeAll, initTrainState, type TrainState } from '../src/train/step.js';
import { referenceSpec } from './bench.js';
import { Rng } from '../src/rng.js';

await selectBackend(process.argv[2] ?? 'wasm');
const model = process.argv[4] ?? 'reference';
const spec =
  model === 'reference' ? referenceSpec() : presetOrThrow(model.replace(/^mnist-/, ''), 'mnist')!({ height: 28, width: 28, channels: 1, levels: 2 });
const size = spec.height * spec.width * spec.channels;
const batchSize = Number(process.argv[3] ?? 16);
const engine = localEngine({ convImpl: 'gather' });
let state: TrainState = initTrainState(spec, familyOf(spec).init(spec, 1), defaultOptimizer('rmsprop'));
const rng = Rng.fromSeed(7, 1);
const batch = {
  shape: spec,
  index: 0,
  records: Array.from({ length: batchSize }, (_, i) => ({ index: i, pixels: Uint8Array.from({ length: size }, () => (spec.levels === 2 ? (rng.uniform() < 0.2 ? 1 : 0) : Math.floor(rng.uniform() * spec.levels))) })),
};
const run = async () => {
  const { loss, grads } = await engine.compute(spec, state.params, batch);
  state = applyStep(state, loss, grads, batchSize).state;
};
for (let i = 0; i < 3; i++) await run();
const t0 = performance.now();
for (let i = 0; i < 3; i++) await run();
console.log(`${model}, kernels: ${kernelBuild()} build;`, 'step ms (unprofiled, mean of 3):', ((performance.now() - t0) / 3).toFixed(0));
let pending: Promise<void> = Promise.resolve();
const info = await tf.profile(() => {
  pending = run();
});
await pending;
const groups = new Map<string, { ms: number; n: number }>();
let total = 0;
for (const k of info.kernels) {
  if (k.name.endsWith('__op') || k.name === 'unnamed scope') continue;
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const g = groups.get(key) ?? { ms: 0, n: 0 };
  g.ms += Number(k.kernelTimeMs);
  g.n += 1;
  total += Number(k.kernelTimeMs);
  groups.set(key, g);
}
console.log('kernel total ms:', total.toFixed(0));
for (const [key, g] of [...groups.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40))
  console.log(g.ms.toFixed(1).padStart(8), String(g.n).padStart(3), key);
disposeAll(state.params, state.slots);
