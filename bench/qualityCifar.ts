// The successors on CIFAR-10, side by side at the same CPU budget: PixelCNN with the softmax and
// with the logistic mixture, Gated PixelCNN, PixelCNN++ (its small preset), and class-conditional PixelCNN and Gated PixelCNN —
// trained on ../shared/data/cifar10-jpeg/data_batch_1.bin (10,000 images, 8-bit, no binarization)
// through pipelines/run.ts like `pixelstreams train`, scored in bits/dim on the first images of
// test_batch.bin (labels included: the conditional ones are scored given them). Needs ../shared;
// says so and exits 0 without it.
//
//   npx tsx bench/qualityCifar.ts [--budget CPU_SECONDS] [--eval-limit N] [--families a,b,...]

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../src/backend.js';
import { writeFileAtomic } from '../src/fsAtomic.js';
import { tf } from '../src/tf.js';
import { ENTRIES, VARIANTS, formatTable, trainAndEvaluate } from './quality.js';

const option = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};

const dir = fileURLToPath(new URL('../../shared/data/cifar10-jpeg/', import.meta.url));
const train = `${dir}data_batch_1.bin`;
const test = `${dir}test_batch.bin`;
if (!existsSync(train) || !existsSync(test)) {
  console.log(`bench/qualityCifar.ts: ${dir} holds no CIFAR-10 batches (it is beside the repository on our machines only): nothing to run`);
  process.exit(0);
}
const backend = await selectBackend(option('backend', 'wasm'));
if (backend._tag === 'Left') throw backend.left;
const budget = Number(option('budget', '60'));
const evalLimit = Number(option('eval-limit', '500'));
const keys = option('families', 'pixelcnn,pixelcnn+mixture,gated-pixelcnn,pixelcnn++,pixelcnn+conditional,gated-pixelcnn+conditional').split(',');
const all = [...ENTRIES, ...VARIANTS];
console.log(`CIFAR-10 quality run: ${tf.getBackend()} backend, ${budget} CPU s of training per model on ${train}, bits/dim on the first ${evalLimit} images of ${test}`);
const rows = [];
for (const key of keys) {
  const entry = all.find((e) => e.key === key);
  if (!entry) throw new Error(`--families: expected some of ${all.map((e) => e.key).join(', ')}, found '${key}'`);
  const row = await trainAndEvaluate(
    entry,
    { batchSize: 16, seed: 1, data: `cifar10:${train}`, binarize: 'none', validation: 0, testData: `cifar10:${test}`, evalLimit, evalBatchSize: 16 },
    budget,
    4 * budget,
    console.log,
  );
  console.log(`    ${row.steps} steps, ${row.images} images in ${row.cpuSeconds.toFixed(0)} CPU s; ${row.testBitsPerDim.toFixed(3)} bits/dim`);
  rows.push(row);
}
const table = formatTable(
  ['model', 'preset', 'params', 'steps', 'images', 'img/CPU s', 'test NLL (nats)', 'bits/dim'],
  rows.map((r) => [r.family, r.preset, String(r.parameters), String(r.steps), String(r.images), r.imagesPerCpuSecond.toFixed(1), r.testNll.toFixed(1), r.testBitsPerDim.toFixed(3)]),
);
console.log('');
table.forEach((l) => console.log(l));
console.log('Published (days of GPU training): PixelCNN 3.14, Gated PixelCNN 3.03, PixelCNN++ 2.92 bits/dim; ours: a minute of one CPU core on 10,000 images.');
const out = fileURLToPath(new URL('./results/quality-cifar.json', import.meta.url));
const written = writeFileAtomic(out, `${JSON.stringify({ date: new Date().toISOString(), budgetCpuSeconds: budget, evalImages: evalLimit, rows, table }, null, 2)}\n`);
console.log(written._tag === 'Right' ? `written: ${out}` : written.left.message);
