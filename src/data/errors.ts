// Errors as data: readers and decoders return Either<Error, A>; the CLI draws them.

import type * as t from 'io-ts';

/** One line per failing field: `path: expected T, found V`. */
export const formatValidationErrors = (errors: t.Errors): string =>
  errors
    .map((e) => {
      const path = e.context
        .map((c) => c.key)
        .filter((k) => k !== '' && !/^\d+$/.test(k))
        .join('.');
      const expected = e.context[e.context.length - 1]?.type.name ?? 'value';
      return `${path || '(root)'}: expected ${expected}, found ${JSON.stringify(e.value)}`;
    })
    .filter((line, i, all) => all.indexOf(line) === i)
    .join('; ');

/** An error about one input file: names the file, what was expected, what was found. */
export const fileError = (file: string, expected: string, found: string): Error =>
  new Error(`${file}: expected ${expected}, found ${found}`);
