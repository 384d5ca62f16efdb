// Errors as data: readers and decoders return Either<Error, A>; the CLI draws them.

import type * as t from 'io-ts';

/** One clause per failing field: `path: expected T, found V` (alternatives of a union joined by |). */
export const formatValidationErrors = (errors: t.Errors): string => {
  const byPath = new Map<string, { expected: string[]; found: unknown }>();
  const messages = new Map<string, string>();
  for (const e of errors) {
    const path =
      e.context
        .map((c) => c.key)
        .filter((k) => k !== '' && !/^\d+$/.test(k))
        .join('.') || '(root)';
    if (e.message) {
      messages.set(path, e.message); // a codec that says what is wrong in its own words
      continue;
    }
    const expected = e.context[e.context.length - 1]?.type.name ?? 'value';
    const entry = byPath.get(path) ?? { expected: [], found: e.value };
    if (!entry.expected.includes(expected)) entry.expected.push(expected);
    byPath.set(path, entry);
  }
  return [
    ...[...messages].map(([path, message]) => (path === '(root)' ? message : `${path}: ${message}`)),
    ...[...byPath]
      .filter(([path]) => !messages.has(path))
      .map(([path, { expected, found }]) => `${path}: expected ${expected.join(' | ')}, found ${describeValue(found)}`),
  ].join('; ');
};

const describeValue = (v: unknown): string =>
  v === undefined ? 'nothing' : typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v);

/** An error about one input file: names the file, what was expected, what was found. */
export const fileError = (file: string, expected: string, found: string): Error =>
  new Error(`${file}: expected ${expected}, found ${found}`);
