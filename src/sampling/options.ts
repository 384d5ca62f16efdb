// Sampling options checked at the boundary: a value, or an error naming the field, what was expected
// and what was found.

import * as E from 'fp-ts/lib/Either.js';
import type { ImageShape } from '../model.js';
import type { ResolvedSampleOptions, SampleOptions } from './types.js';

const isInt = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n);

export const resolveSampleOptions = (
  shape: ImageShape & { readonly classes?: number },
  o: SampleOptions = {},
): E.Either<Error, ResolvedSampleOptions> => {
  const errs: string[] = [];
  const bad = (field: string, expected: string, found: unknown) =>
    errs.push(`${field}: expected ${expected}, found ${typeof found === 'object' ? JSON.stringify(found) : String(found)}`);
  const known = o.known ?? null;
  const count = o.count ?? (known ? known.length : 1);
  const keepRows = o.keepRows ?? 0;
  const seed = o.seed ?? 0;
  const temperature = o.temperature ?? 1;
  if (!isInt(count) || count < 0) bad('count', 'an integer ≥ 0', count);
  const batchSize = o.batchSize ?? Math.max(1, Math.min(isInt(count) ? count : 1, 16));
  if (!isInt(batchSize) || batchSize < 1) bad('batchSize', 'an integer ≥ 1', batchSize);
  if (!isInt(seed)) bad('seed', 'an integer', seed);
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0)
    bad('temperature', 'a finite number ≥ 0', temperature);
  if (!isInt(keepRows) || keepRows < 0 || keepRows > shape.height) bad('keepRows', `an integer in 0..${shape.height}`, keepRows);
  if (shape.levels > 256) bad('levels', 'at most 256 (samples are Uint8Array)', shape.levels);
  if (keepRows > 0 && !known) bad('known', `${count} images when keepRows > 0`, 'none');
  if (known) {
    const size = shape.height * shape.width * shape.channels;
    if (known.length < count) bad('known', `at least count = ${count} images`, `${known.length}`);
    known.forEach((img, n) => {
      if (img.length !== size) bad(`known[${n}]`, `${size} values (H·W·C)`, `${img.length}`);
      else if (img.some((v) => v >= shape.levels)) bad(`known[${n}]`, `levels < ${shape.levels}`, `${Math.max(...img)}`);
    });
  }
  const classes = shape.classes ?? 0;
  let labels: Int32Array | null = null;
  if (classes === 0) {
    if (o.labels !== undefined) bad('labels', 'none (the model is not class-conditional)', o.labels);
  } else if (o.labels === undefined) bad('labels', `a class in 0..${classes - 1} per image (the model is class-conditional)`, 'none');
  else {
    const given = typeof o.labels === 'number' ? Array.from({ length: isInt(count) ? count : 0 }, () => o.labels as number) : o.labels;
    const wrong = given.findIndex((l) => !isInt(l) || l < 0 || l >= classes);
    if (wrong >= 0) bad(`labels[${wrong}]`, `a class in 0..${classes - 1}`, given[wrong]);
    else if (isInt(count) && given.length < count) bad('labels', `at least count = ${count} labels`, `${given.length}`);
    else labels = Int32Array.from(given);
  }
  return errs.length
    ? E.left(new Error(`sample options: ${errs.join('; ')}`))
    : E.right({ count, batchSize, seed, temperature, keepRows, known, cached: o.cached ?? true, labels });
};
