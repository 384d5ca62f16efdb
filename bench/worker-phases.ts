// `npx tsx bench/worker-phases.ts [workers] [steps]`: where a worker-engine training step of the
// reference PixelCNN goes on the main thread — the engine's compute (wall) against the slowest
// worker's own compute time, and the update (applyStep) — medians over the steps.
import { selectBackend } from '../src/backend.js';
import { familyOf } from '../src/models/registry.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { applyStep, disposeAll, initTrainState, type TrainState } from '../src/train/step.js';
import { workerEngine } from '../src/train/workers.js';
import { tf } from '../src/tf.js';
import { Rng } from '../src/rng.js';
import { referenceSpec } from './bench.js';
import { median } from './stats.js';

await selectBackend('wasm');
const workers = Number(process.argv[2] ?? 2);
const steps = Number(process.argv[3] ?? 8);
const spec = referenceSpec();
const size = spec.height * spec.width * spec.channels;
const rng = Rng.fromSeed(3, 1);
const batch = { shape: spec, index: 0, records: Array.from({ length: 16 }, (_, i) => ({ index: i, pixels: Uint8Array.from({ length: size }, () => Math.floor(rng.uniform() * 256)) })) };
const engine = workerEngine({ workers, backend: tf.getBackend() });
let state: TrainState = initTrainState(spec, familyOf(spec).init(spec, 1), defaultOptimizer('rmsprop'));
const rows: { compute: number; worker: number; update: number; step: number }[] = [];
try {
  for (let i = 0; i < steps + 2; i++) {
    const t0 = performance.now();
    const { loss, grads } = await engine.compute(spec, state.params, batch);
    const t1 = performance.now();
    state = applyStep(state, loss, grads, 16).state;
    const t2 = performance.now();
    if (i >= 2) rows.push({ compute: t1 - t0, worker: Math.max(...engine.lastStats().map((s) => s.computeMs)), update: t2 - t1, step: t2 - t0 });
  }
} finally {
  await engine.close();
  disposeAll(state.params, state.slots);
}
const m = (k: keyof (typeof rows)[number]) => median(rows.map((r) => r[k]));
console.log(`${workers} workers, median of ${steps} steps: step ${m('step').toFixed(1)} ms = engine compute ${m('compute').toFixed(1)} (slowest worker's own ${m('worker').toFixed(1)}, so ${(m('compute') - m('worker')).toFixed(1)} around it) + update ${m('update').toFixed(1)}`);
