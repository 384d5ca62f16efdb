import { createHash } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { binarizedMnistTest } from '../src/data/mnistOfficial.js';
import type { ImageSet } from '../src/data/records.js';
import { resolveRunConfig } from './config.js';
import { binarization, heldOutSource, readSource } from './data.js';
import { prepareData } from './train.js';

const right = <A>(r: E.Either<Error, A>): A => {
  if (E.isLeft(r)) throw r.left;
  return r.right;
};
const left = <A>(r: E.Either<Error, A>): string => {
  if (E.isRight(r)) throw new Error('expected an error');
  return r.left.message;
};
const digest = (set: ImageSet): string => {
  const h = createHash('sha256');
  for (const r of set.records) h.update(r.pixels);
  return h.digest('hex');
};

describe('data sources', () => {
  it('mnist is the official 60k with labels, mnist:test its 10k, mnist-embedded the 10k of the mnist package', async () => {
    const official = right(await readSource('mnist'));
    expect(official.records.length).toBe(60_000);
    expect(official.records.every((r) => r.label !== undefined)).toBe(true);
    expect(right(await readSource('mnist:train'))).toBe(official);
    expect(right(await readSource('mnist:test')).records.length).toBe(10_000);
    const bin = right(await readSource('mnist:test-binarized'));
    expect(bin.shape.levels).toBe(2);
    expect(digest(bin)).toBe(digest(right(await binarizedMnistTest())));
    const embedded = right(await readSource('mnist-embedded'));
    expect(embedded.records.length).toBe(10_000);
    expect(embedded.name).toBe('mnist-embedded');
  });

  it('a bad source name is an error naming the forms it accepts', async () => {
    expect(left(await readSource('mnist:tset'))).toBe("data: expected mnist or mnist:train | mnist:test | mnist:test-binarized, found 'mnist:tset'");
    expect(left(await readSource('mnist-embedded:x'))).toBe("data: expected mnist-embedded (no parts), found 'mnist-embedded:x'");
    expect(left(await readSource('mnst'))).toMatch(/^data: expected mnist \| idx:.* \| mnist-embedded, found 'mnst'$/);
  });

  it('the held-out default of mnist is the official test set (binarized once with the fixed seed for stochastic runs); other sources have none', () => {
    expect(heldOutSource('mnist', 'stochastic')).toBe('mnist:test-binarized');
    expect(heldOutSource('mnist', 'threshold')).toBe('mnist:test');
    expect(heldOutSource('mnist', 'none')).toBe('mnist:test');
    for (const s of ['mnist:train', 'mnist-embedded', 'idx:a', 'png:d']) expect(heldOutSource(s, 'stochastic')).toBeUndefined();
  });

  it('a binary set passes through binarization unchanged; an 8-bit one is binarized', async () => {
    const bin = right(await readSource('mnist:test-binarized'));
    expect(right(binarization('stochastic', 5).fixed(bin))).toBe(bin);
    expect(right(binarization('threshold', 5).fixed(bin))).toBe(bin);
    const eight = right(await readSource('mnist:test'));
    const again = right(binarization('stochastic', 5).fixed(eight));
    expect(again.shape.levels).toBe(2);
    expect(digest(again)).not.toBe(digest(bin)); // the run's seed, not the fixed one
  });

  it('a stochastic run on mnist trains on all 60k and evaluates on the fixed binarized test set, whatever its seed', async () => {
    const fixed = digest(right(await binarizedMnistTest()));
    for (const seed of [1, 7]) {
      const cfg = right(resolveRunConfig({ data: 'mnist', binarize: 'stochastic', seed }, undefined, 'flags'));
      const sets = right(await prepareData(cfg));
      expect(sets.train.records.length).toBe(60_000);
      expect(sets.heldOut.records.length).toBe(10_000);
      expect(sets.heldOut.name).toMatch(/^mnist\/test-binarized/);
      expect(digest(sets.heldOut)).toBe(fixed);
    }
    // negative control: mnist:train holds out a --validation part of the training set instead, chosen by the seed
    const a = right(await prepareData(right(resolveRunConfig({ data: 'mnist:train', binarize: 'stochastic', seed: 1 }, undefined, 'flags'))));
    const b = right(await prepareData(right(resolveRunConfig({ data: 'mnist:train', binarize: 'stochastic', seed: 7 }, undefined, 'flags'))));
    expect(a.train.records.length).toBe(59_000);
    expect(a.heldOut.records.length).toBe(1000);
    expect(digest(a.heldOut)).not.toBe(digest(b.heldOut));
    // --test-data still wins over the default
    const c = right(await prepareData(right(resolveRunConfig({ data: 'mnist', testData: 'mnist-embedded', binarize: 'threshold', evalLimit: 10 }, undefined, 'flags'))));
    expect(c.heldOut.name).toMatch(/^mnist-embedded/);
  });
});
