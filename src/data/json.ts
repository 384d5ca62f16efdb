// JSON at the boundary: a config or a manifest read from disk with a size bound, a nesting bound
// (checked without recursion, so a file of 10⁶ nested brackets is an error, not a stack overflow),
// and the check that a value written as JSON reads back as the same value (Infinity, NaN, -0,
// undefined and non-plain objects do not).

import * as E from 'fp-ts/lib/Either.js';
import { fileError } from './errors.js';
import { readFileBounded } from './files.js';
import { LIMITS } from './limits.js';

/** Deepest nesting of arrays and objects in JSON text, by a scan that ignores string contents. */
export const jsonTextDepth = (text: string): number => {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) max = Math.max(max, ++depth);
    else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return max;
};

/** Parse JSON text from `file`: nesting at most LIMITS.jsonDepth; errors name the file. */
export const parseJson = (text: string, file: string, what = 'a JSON file'): E.Either<Error, unknown> => {
  const depth = jsonTextDepth(text);
  if (depth > LIMITS.jsonDepth) return E.left(fileError(file, `${what} nested at most ${LIMITS.jsonDepth} deep`, `nesting ${depth} deep`));
  try {
    return E.right(JSON.parse(text));
  } catch (e) {
    return E.left(fileError(file, what, `invalid JSON (${(e as Error).message})`));
  }
};

/** Read and parse a JSON file of at most LIMITS.jsonBytes (a regular file). */
export const readJsonFile = (file: string, what = 'a JSON file', maxBytes: number = LIMITS.jsonBytes): E.Either<Error, unknown> => {
  const bytes = readFileBounded(file, maxBytes, what);
  if (E.isLeft(bytes)) return bytes;
  const text = bytes.right.toString('utf8');
  return parseJson(text, file, what);
};

/**
 * The first place where `value` would not survive JSON.stringify → JSON.parse unchanged, as a path
 * like `optimizer.epsilon` (with what it is), or null when it round-trips.
 */
export const jsonMismatch = (value: unknown, path = '(root)'): string | null => {
  const stack: [unknown, string][] = [[value, path]];
  while (stack.length) {
    const [v, p] = stack.pop()!;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return `${p}: ${v} (JSON has no ${v}; it would be written as null)`;
      if (Object.is(v, -0)) return `${p}: -0 (it would read back as 0)`;
      continue;
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([x, `${p}[${i}]`]));
      continue;
    }
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      // A key whose value is undefined is dropped by JSON and reads back absent: the same to a decoder.
      for (const [k, x] of Object.entries(v as object)) if (x !== undefined) stack.push([x, p === '(root)' ? k : `${p}.${k}`]);
      continue;
    }
    return `${p}: ${v === undefined ? 'undefined' : typeof v === 'object' ? 'an object that is not plain data' : typeof v} (not JSON)`;
  }
  return null;
};
