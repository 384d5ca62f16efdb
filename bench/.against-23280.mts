import { selectBackend } from '../src/backend.js';
import { familyOf, presetFor } from '../src/models/registry.js';
import { localEngine } from '../src/train/engine.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { applyStep, initTrainState } from '../src/train/step.js';
import { Rng } from '../src/rng.js';
await selectBackend('wasm');
const model = process.argv[2];
// presetFor returns the preset itself in older trees and an Either in newer ones
const preset = (family, name) => { const p = presetFor(family, name); return typeof p === 'function' ? p : p.right; };
const spec = model === 'reference'
  ? preset('pixelcnn', 'reference')({ height: 28, width: 28, channels: 1, levels: 256 })
  : preset(model, 'mnist')({ height: 28, width: 28, channels: 1, levels: 2 });
const engine = localEngine({ convImpl: 'gather' });
let state = initTrainState(spec, familyOf(spec).init(spec, 1), defaultOptimizer('rmsprop'));
const rng = Rng.fromSeed(7, 1);
const size = spec.height * spec.width * spec.channels;
const batch = { shape: spec, index: 0, records: Array.from({ length: 16 }, (_, i) => ({ index: i,
  pixels: Uint8Array.from({ length: size }, () => (spec.levels === 2 ? (rng.uniform() < 0.2 ? 1 : 0) : Math.floor(rng.uniform() * spec.levels))) })) };
const times = [];
let loss = 0;
for (let i = 0; i < Number(process.argv[3]) + 1; i++) {
  const t0 = performance.now();
  const r = await engine.compute(spec, state.params, batch);
  loss = r.loss;
  state = applyStep(state, r.loss, r.grads, 16).state;
  if (i >= 1) times.push(performance.now() - t0);
}
console.log(JSON.stringify({ times, loss }));
