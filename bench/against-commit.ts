// `npx tsx bench/against-commit.ts COMMIT [model] [rounds] [steps]`: in-process training speed (batch
// 16, RMSProp, wasm) of this tree against an earlier commit, in one run: the commit is unpacked
// (`git archive`) into a temporary folder sharing this tree's node_modules, and the two run in turn,
// one child process each per round (`steps` timed steps after one warm-up), `rounds` rounds, the
// order reversed every other round. Prints both medians, the ratio and each side's last loss (they
// train the same model on the same batch, so the losses should agree to float tolerance).
// model: 'reference' (the reference PixelCNN, default), 'row-lstm', 'diagonal-bilstm' (MNIST presets).
import { fileURLToPath } from 'node:url';
import { alternateTrees } from './alternateTrees.js';
import { median } from './stats.js';

const [commit, model = 'reference', roundsArg = '3', stepsArg = '4'] = process.argv.slice(2);
if (!commit) throw new Error('bench/against-commit.ts: expected a commit (e.g. HEAD~3) as the first argument');
const root = fileURLToPath(new URL('..', import.meta.url));

// The step script, written into both trees (it uses only APIs both have: registry presets, engine, step).
const stepScript = `import { selectBackend } from '../src/backend.js';
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
`;

const names = [commit, 'this tree'];
const lines = alternateTrees({ root, commit, script: stepScript, tag: 'against', rounds: Number(roundsArg), args: [model, stepsArg] });
const runs = lines.map((ls) => ls.map((l) => JSON.parse(l) as { times: number[]; loss: number }));
const times = runs.map((rs) => rs.flatMap((r) => r.times));
const losses = runs.map((rs) => rs[rs.length - 1]!.loss);
names.forEach((name, k) =>
  console.log(`${name.padEnd(12)} ${model}: median step ${median(times[k]!).toFixed(1)} ms = ${(16000 / median(times[k]!)).toFixed(1)} img/s over ${times[k]!.length} steps; last loss ${losses[k]!.toFixed(4)}`),
);
console.log(`this tree ÷ ${commit}: ${(median(times[0]!) / median(times[1]!)).toFixed(2)}× the speed (${roundsArg} rounds of ${stepsArg} steps, alternating processes)`);

