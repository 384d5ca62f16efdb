// Bytes with the name of the file they came from, so every decoder can name it in its errors.
// Reading is the only effectful part (at the edge); decoders take NamedBuffers and are pure.

import { readFile, readdir, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { fileError } from './errors.js';

export interface NamedBuffer {
  readonly file: string;
  readonly data: Uint8Array;
}

const describeFsError = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'ENOENT' ? 'no such file (ENOENT)' : `${err.code ?? 'error'}: ${err.message ?? String(e)}`;
};

/** Read a whole file; a missing or unreadable file is an Error naming it. */
export const readNamed = async (file: string): Promise<E.Either<Error, NamedBuffer>> => {
  try {
    const data = await readFile(file);
    return E.right({ file, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  } catch (e) {
    return E.left(fileError(file, 'a readable file', describeFsError(e)));
  }
};

/** Names of the entries of a folder; a missing folder or a plain file is an Error naming it. */
export const listFolder = async (dir: string): Promise<E.Either<Error, readonly string[]>> => {
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) return E.left(fileError(dir, 'a folder', 'a file'));
    return E.right(await readdir(dir));
  } catch (e) {
    return E.left(fileError(dir, 'a readable folder', describeFsError(e)));
  }
};

/** Read several files; the first failure wins. */
export const readAllNamed = async (files: readonly string[]): Promise<E.Either<Error, readonly NamedBuffer[]>> => {
  const out: NamedBuffer[] = [];
  for (const f of files) {
    const r = await readNamed(f);
    if (E.isLeft(r)) return r;
    out.push(r.right);
  }
  return E.right(out);
};

const isGzip = (data: Uint8Array): boolean => data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;

/** Gunzip when the bytes start with the gzip magic (1f 8b), whatever the file is called. Pure. */
export const gunzipIfNeeded = (src: NamedBuffer): E.Either<Error, NamedBuffer> => {
  if (!isGzip(src.data)) return E.right(src);
  try {
    const out = gunzipSync(src.data);
    return E.right({ file: src.file, data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength) });
  } catch (e) {
    return E.left(fileError(src.file, 'a complete gzip stream', `gunzip failed (${(e as Error).message})`));
  }
};

export const hexBytes = (data: Uint8Array, n: number): string =>
  Array.from(data.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ') || '(no bytes)';
