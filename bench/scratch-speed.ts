import { selectBackend } from '../src/backend.js';
import { presets, initModel } from '../src/models/registry.js';
import { initTrainState, trainStep } from '../src/train/step.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { tf } from '../src/tf.js';
const b = await selectBackend(process.argv[2] ?? 'wasm'); console.log(b);
const spec = presets.reference!({ height: 28, width: 28, channels: 1, levels: 256 });
const m = initModel(spec, 1, { convImpl: 'gather' });
let st = initTrainState(spec, m.params, defaultOptimizer('rmsprop'));
const x = tf.randomUniformInt([16, 28, 28, 1], 0, 256).toFloat() as tf.Tensor4D;
for (let i = 0; i < 6; i++) {
  const t0 = performance.now();
  const r = trainStep(st, x, { convImpl: 'gather' });
  st = r.state;
  const dt = performance.now() - t0;
  console.log(i, r.metrics.loss.toFixed(1), (16 / (dt / 1000)).toFixed(2), 'img/s', tf.memory().numTensors);
}
if (process.argv[3]) { const prof = await tf.profile(() => { const r = trainStep(st, x, { convImpl: 'gather' }); st = r.state; });
const agg: Record<string, number> = {}; for (const k of prof.kernels) agg[k.name] = (agg[k.name] ?? 0) + (k.kernelTimeMs as number);
console.log(Object.entries(agg).sort((a, b) => b[1] - a[1]).slice(0, 15)); }
