// `npm start`: train a small PixelCNN from scratch on binarized MNIST for a few minutes (the train
// command, into runs/<time>), then sample the shipped pretrained model the same way and write the
// two sample grids side by side: runs/<time>/compare.png (yours left, pretrained right).
import * as E from 'fp-ts/lib/Either.js';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../pipelines/cli.js';
import { compareWithPretrained } from '../pipelines/pretrained.js';

const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
const out = resolve('runs', stamp);
const TRAIN = ['--data', 'mnist', '--binarize', 'stochastic', '--preset', 'small', '--steps', '600'];
const code = await main(['node', 'pixelstreams', 'train', ...TRAIN, '--out', out, ...process.argv.slice(2)]);
if (code !== 0) process.exit(code);
const r = await compareWithPretrained(out, 'mnist-binary-pixelcnn');
if (E.isLeft(r)) {
  process.stderr.write(`error: ${r.left.message}\n`);
  process.exit(1);
}
const own = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { evaluation?: { meanNll?: number } };
process.stderr.write(
  `compare: ${r.right.file}\n  left:  your model, ${own.evaluation?.meanNll?.toFixed(2) ?? '?'} nats on the held-out digits (${join(out, 'samples.png')})\n  right: pretrained ${r.right.name}, ${r.right.figure} (npx pixelstreams sample --pretrained ${r.right.name})\n`,
);
process.exit(0);
