// Bytes with the name of the file they came from, so every decoder can name it in its errors.
// Reading is the only effectful part (at the edge); decoders take NamedBuffers and are pure.
//
// Every read is bounded: only regular files are read (a folder, a FIFO, a socket or a device such
// as /dev/zero is an error before anything is read, so a source that never ends cannot hang us),
// their size is checked against a stated limit (src/data/limits.ts) before a byte is allocated, and
// a file that grows while it is read is an error. Decompression has an output bound too.

import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { fileError } from './errors.js';
import { LIMITS, mib } from './limits.js';

export interface NamedBuffer {
  readonly file: string;
  readonly data: Uint8Array;
}

const describeFsError = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'ENOENT' ? 'no such file (ENOENT)' : `${err.code ?? 'error'}: ${err.message ?? String(e)}`;
};

/** What kind of thing a stat describes, for messages. */
export const kindOf = (s: Stats): string =>
  s.isDirectory()
    ? 'a folder'
    : s.isFIFO()
      ? 'a FIFO (named pipe), which may never end'
      : s.isCharacterDevice()
        ? 'a character device, which may never end'
        : s.isBlockDevice()
          ? 'a block device'
          : s.isSocket()
            ? 'a socket'
            : 'not a regular file';

/**
 * Read a whole regular file of at most `maxBytes`, synchronously. The kind and size are checked
 * (on the open descriptor, so a file swapped in between cannot slip through) before the buffer is
 * allocated; a file that grows while it is read is an error.
 */
export const readFileBounded = (file: string, maxBytes: number = LIMITS.fileBytes, what = 'a readable file'): E.Either<Error, Buffer> => {
  let fd: number | undefined;
  try {
    // stat first: opening a FIFO for reading would block until a writer comes.
    const pre = statSync(file);
    if (!pre.isFile()) return E.left(fileError(file, 'a regular file', kindOf(pre)));
    fd = openSync(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    const s = fstatSync(fd);
    if (!s.isFile()) return E.left(fileError(file, 'a regular file', kindOf(s)));
    if (s.size > maxBytes) return E.left(fileError(file, `a file of at most ${mib(maxBytes)}`, `${mib(s.size)}`));
    const out = Buffer.allocUnsafe(s.size);
    let off = 0;
    while (off < out.length) {
      const n = readSync(fd, out, off, out.length - off, off);
      if (n === 0) return E.left(fileError(file, `${s.size} bytes (its size when opened)`, `${off} bytes: the file shrank while it was read`));
      off += n;
    }
    if (readSync(fd, Buffer.alloc(1), 0, 1, off) !== 0)
      return E.left(fileError(file, `${s.size} bytes (its size when opened)`, 'more: the file grew while it was read'));
    return E.right(out);
  } catch (e) {
    return E.left(fileError(file, what, describeFsError(e)));
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
};

/** Read a whole file; a missing, unreadable, non-regular or too large file is an Error naming it. */
export const readNamed = async (file: string, maxBytes: number = LIMITS.fileBytes): Promise<E.Either<Error, NamedBuffer>> =>
  E.map((data: Buffer) => ({ file, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }))(readFileBounded(file, maxBytes));

/** Names of the entries of a folder; a missing folder or a plain file is an Error naming it. */
export const listFolder = async (dir: string): Promise<E.Either<Error, readonly string[]>> => {
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) return E.left(fileError(dir, 'a folder', s.isFile() ? 'a file' : kindOf(s)));
    return E.right(await readdir(dir));
  } catch (e) {
    return E.left(fileError(dir, 'a readable folder', describeFsError(e)));
  }
};

/** Read several files; the first failure wins. Their total is bounded like one file. */
export const readAllNamed = async (
  files: readonly string[],
  maxTotalBytes: number = LIMITS.fileBytes,
): Promise<E.Either<Error, readonly NamedBuffer[]>> => {
  const out: NamedBuffer[] = [];
  let total = 0;
  for (const f of files) {
    // The budget left after the files before it (the message then says "at most" that much).
    const r = await readNamed(f, maxTotalBytes - total);
    if (E.isLeft(r)) return r;
    total += r.right.data.byteLength;
    out.push(r.right);
  }
  return E.right(out);
};

export const isGzip = (data: Uint8Array): boolean => data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;

/**
 * The first `n` bytes a gzip stream inflates to (fewer if it holds fewer), from at most the first
 * 64 KiB of compressed input: enough to read a header before deciding how much to inflate.
 */
export const gunzipPrefix = (data: Uint8Array, n: number): Uint8Array => {
  // Growing prefixes of the compressed input: deflate expands at most ~1032×, so a 512-byte prefix
  // inflates to at most ~0.5 MiB whatever the stream holds; longer ones only if that was too short
  // (a gzip header with long name or extra fields).
  for (const take of [512, 4096, 1 << 16]) {
    try {
      const out = gunzipSync(data.subarray(0, Math.min(data.length, take)), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      if (out.byteLength >= n || take >= data.length) return new Uint8Array(out.buffer, out.byteOffset, Math.min(n, out.byteLength));
    } catch {
      return new Uint8Array(0);
    }
  }
  return new Uint8Array(0);
};

/**
 * Gunzip when the bytes start with the gzip magic (1f 8b), whatever the file is called. Pure. The
 * output is bounded: `maxBytes` (the size a header declares, or the decoded-bytes limit); a stream
 * that inflates past it is an error, not a memory bomb.
 */
export const gunzipIfNeeded = (src: NamedBuffer, maxBytes: number = LIMITS.decodedBytes): E.Either<Error, NamedBuffer> => {
  if (!isGzip(src.data)) return E.right(src);
  try {
    const out = gunzipSync(src.data, { maxOutputLength: Math.max(1, Math.min(maxBytes, LIMITS.decodedBytes)) });
    return E.right({ file: src.file, data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      return E.left(fileError(src.file, `a gzip stream that inflates to at most ${maxBytes} bytes (what its header declares)`, 'more (trailing bytes, or a decompression bomb)'));
    return E.left(fileError(src.file, 'a complete gzip stream', `gunzip failed (${(e as Error).message})`));
  }
};

export const hexBytes = (data: Uint8Array, n: number): string =>
  Array.from(data.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ') || '(no bytes)';

/** The first `n` bytes of a regular file (fewer if it is shorter). */
export const readPrefix = (file: string, n: number): E.Either<Error, Buffer> => {
  let fd: number | undefined;
  try {
    const s = statSync(file);
    if (!s.isFile()) return E.left(fileError(file, 'a regular file', kindOf(s)));
    fd = openSync(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    const out = Buffer.alloc(Math.min(n, s.size));
    const got = readSync(fd, out, 0, out.length, 0);
    return E.right(out.subarray(0, got));
  } catch (e) {
    return E.left(fileError(file, 'a readable file', describeFsError(e)));
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
};
