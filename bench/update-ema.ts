// `npx tsx bench/update-ema.ts [repeats]`: the cost of the weight average and the schedule in the
// update. The one-pass update (src/train/flatUpdate.ts, what a wasm or cpu step runs) of the
// reference PixelCNN's parameters, Adam, with and without `--ema` (and a cosine schedule), alternating
// in one process; medians and the ratio, beside the median training step of the same model.
import { selectBackend } from '../src/backend.js';
import { familyOf, presetOrThrow } from '../src/models/registry.js';
import { tf } from '../src/tf.js';
import { applyGradientsFlat } from '../src/train/flatUpdate.js';
import { defaultOptimizer, initSlots, type OptimizerConfig } from '../src/train/optimizers.js';
import { disposeAll } from '../src/train/step.js';
import { median } from './stats.js';

await selectBackend('wasm');
const repeats = Number(process.argv[2] ?? 30);
const spec = presetOrThrow('pixelcnn', 'reference')({ height: 28, width: 28, channels: 1, levels: 256 });
const plain: OptimizerConfig = defaultOptimizer('adam');
const averaged: OptimizerConfig = { ...plain, schedule: { kind: 'cosine', floor: 0.05, totalSteps: 1000 }, ema: { decay: 0.9995, warmup: true } };
const configs = [['adam', plain], ['adam + cosine + ema', averaged]] as const;
const states = configs.map(([, c]) => {
  const params = familyOf(spec).init(spec, 1);
  return { config: c, params, slots: initSlots(c, params) };
});
const grads = tf.tidy(() => Object.fromEntries(Object.entries(states[0]!.params).map(([n, p]) => [n, tf.randomNormal(p.shape, 0, 1e-2, 'float32', 3)])));
const count = Object.values(states[0]!.params).reduce((n, p) => n + p.size, 0);
const times: number[][] = configs.map(() => []);
for (let i = 0; i < repeats + 3; i++)
  for (const k of i % 2 ? [1, 0] : [0, 1]) {
    const s = states[k]!;
    const t0 = performance.now();
    const u = applyGradientsFlat(s.config, s.params, s.slots, grads, i + 1);
    const ms = performance.now() - t0;
    disposeAll(s.params, s.slots);
    states[k] = { config: s.config, params: u.params, slots: u.slots };
    if (i >= 3) times[k]!.push(ms);
  }
configs.forEach(([name], k) => console.log(`${name.padEnd(20)} median update ${median(times[k]!).toFixed(2)} ms (${count} parameters, ${repeats} updates)`));
console.log(`reference PixelCNN: the update with the average and schedule ÷ without: ${(median(times[1]!) / median(times[0]!)).toFixed(2)}`);
states.forEach((s) => disposeAll(s.params, s.slots));
disposeAll(grads);
