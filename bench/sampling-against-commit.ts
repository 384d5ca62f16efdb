// `npx tsx bench/sampling-against-commit.ts COMMIT [rounds]`: the cached samplers' time for 16 images
// (reference PixelCNN at 28×28×1 and 32×32×3, MNIST Row LSTM and Diagonal BiLSTM at 28×28×1, K = 2;
// the small Gated PixelCNN at 32×32×3)
// of this tree against an earlier commit, in one run: the commit is unpacked (`git archive`) into a
// temporary folder sharing this tree's node_modules, and both run in turn, one child process each per
// round, the order reversed every other round (as bench/against-commit.ts does for training).
// Prints each side's median seconds and the speed-up. Both draw the same images (same seeds).
import { fileURLToPath } from 'node:url';
import { alternateTrees } from './alternateTrees.js';
import { median } from './stats.js';

const [commit, roundsArg = '3'] = process.argv.slice(2);
if (!commit) throw new Error('bench/sampling-against-commit.ts: expected a commit (e.g. main) as the first argument');
const root = fileURLToPath(new URL('..', import.meta.url));

// Uses only APIs both trees have: registry presets, initModel, samplerFor, samplingSteps.
const script = `import { selectBackend } from '../src/backend.js';
import { initModel, presetFor } from '../src/models/registry.js';
import { samplerFor, samplingSteps } from '../src/sampling/session.js';
await selectBackend('wasm');
const preset = (family, name) => { const p = presetFor(family, name); return typeof p === 'function' ? p : p.right; };
const cases = [
  ['pixelcnn 28×28×1', preset('pixelcnn', 'reference')({ height: 28, width: 28, channels: 1, levels: 256 })],
  ['pixelcnn 32×32×3', preset('pixelcnn', 'reference')({ height: 32, width: 32, channels: 3, levels: 256 })],
  ['row-lstm 28×28×1', preset('row-lstm', 'mnist')({ height: 28, width: 28, channels: 1, levels: 2 })],
  ['diagonal-bilstm 28×28×1', preset('diagonal-bilstm', 'mnist')({ height: 28, width: 28, channels: 1, levels: 2 })],
  ['gated-pixelcnn 32×32×3', preset('gated-pixelcnn', 'small')({ height: 32, width: 32, channels: 3, levels: 256 })],
];
const out = {};
for (const [name, spec] of cases) {
  const model = initModel(spec, 1);
  const options = { count: 16, batchSize: 16, seed: 1, temperature: 1, keepRows: 0, known: null, labels: null, cached: true };
  const run = (positions) => {
    const steps = samplingSteps(model, options, samplerFor(model, true));
    const t0 = performance.now();
    let n = 0;
    let last = 0;
    for (const events of steps) {
      for (const e of events) if (e.kind === 'image') last += e.pixels.reduce((a, v) => a + v, 0);
      if (++n === positions) break;
    }
    return [(performance.now() - t0) / 1000, last];
  };
  run(2 * spec.width * spec.channels); // warm the JIT
  const [seconds, checksum] = run(Infinity);
  out[name] = { seconds, checksum };
  for (const t of Object.values(model.params)) t.dispose();
}
console.log(JSON.stringify(out));
`;

const lines = alternateTrees({ root, commit, script, tag: 'sampling-against', rounds: Number(roundsArg) });
const runs = lines.map((ls) => ls.map((l) => JSON.parse(l) as Record<string, { seconds: number; checksum: number }>));
console.log(`cached sampling, 16 images, median of ${roundsArg} alternating rounds (one process per tree per round)`);
console.log(`${'model'.padEnd(26)} ${commit.padStart(10)} s  this tree s  speed-up  same images`);
for (const name of Object.keys(runs[0]![0]!)) {
  const [a, b] = runs.map((rs) => median(rs.map((r) => r[name]!.seconds)));
  const same = runs[0]!.every((r, i) => r[name]!.checksum === runs[1]![i]![name]!.checksum);
  console.log(`${name.padEnd(26)} ${a!.toFixed(3).padStart(12)}  ${b!.toFixed(3).padStart(11)}  ${(a! / b!).toFixed(2).padStart(7)}×  ${same ? 'yes' : 'NO'}`);
}

