// Crash-safe writes. A reader sees either the old content or the whole new content, never a torn
// file: write a temporary sibling, fsync it, rename it over the target (atomic on POSIX within one
// file system), then fsync the parent directory so that the rename itself survives a power cut.
//
// Synchronous on purpose: a SIGINT/SIGTERM handler can finish a write before the process exits,
// and nothing else runs in between.

import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';

export type FileData = string | Uint8Array;

// Fault injection for crash tests (test/kill.spec.ts): with PIXELSTREAMS_KILL_AT='<point>#<n>' the
// process SIGKILLs itself the n-th time it reaches that point, e.g. 'dir:before-rename#2' kills it
// inside its second checkpoint write, after the files are written and before they are renamed in.
// Points: file:before-rename, dir:after-first-file, dir:before-rename, dir:after-rename,
// remove:after-rename. Unset (always, outside tests), a point costs one environment lookup.
const faultHits = new Map<string, number>();
export const faultPoint = (point: string): void => {
  const spec = process.env.PIXELSTREAMS_KILL_AT;
  if (!spec) return;
  const hit = (faultHits.get(point) ?? 0) + 1;
  faultHits.set(point, hit);
  const [name, nth] = spec.split('#');
  if (name === point && hit === Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
};

let counter = 0;
/** A unique suffix for temporary names made by this process: `.tmp-<pid>-<n>`. */
const tmpSuffix = (): string => `.tmp-${process.pid}-${counter++}`;

const asError = (e: unknown, what: string): Error =>
  new Error(`${what}: ${e instanceof Error ? e.message : String(e)}`);

/** fsync a directory so that entries created, renamed or removed in it are durable. */
export const fsyncDir = (dir: string): void => {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
};

/** Write `data` to a new file at `path` (which must not exist) and fsync it. */
const writeAndSync = (path: string, data: FileData): void => {
  const fd = openSync(path, 'wx');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

/**
 * Replace (or create) the file at `path` with `data`, atomically and durably. Creates the parent
 * directory if needed, and removes temporary files of earlier writes of this path whose writer
 * died. On failure the target is untouched and the temporary file removed.
 */
export const writeFileAtomic = (path: string, data: FileData): E.Either<Error, string> => {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}${tmpSuffix()}`);
  try {
    mkdirSync(dir, { recursive: true });
    cleanLeftovers(dir, (name) => name.startsWith(`.${basename(path)}.tmp-`));
    writeAndSync(tmp, data);
    faultPoint('file:before-rename');
    renameSync(tmp, path);
    fsyncDir(dir);
    return E.right(path);
  } catch (e) {
    try {
      if (existsSync(tmp)) unlinkSync(tmp);
    } catch {
      /* the original error is the one to report */
    }
    return E.left(asError(e, `${path}: atomic write failed`));
  }
};

/** Rename `path` to a uniquely named sibling, then remove it: no reader ever sees it half-deleted. */
export const removeDirAtomic = (path: string): void => {
  if (!existsSync(path)) return;
  const doomed = join(dirname(path), `${basename(path)}.del-${process.pid}-${counter++}`);
  renameSync(path, doomed);
  fsyncDir(dirname(path));
  faultPoint('remove:after-rename');
  rmSync(doomed, { recursive: true, force: true });
};

/**
 * Create the directory `path` holding exactly `files` (name → content), atomically: the files are
 * written and fsynced in a temporary sibling directory `<name>.tmp-<pid>-<n>`, which is then
 * renamed to `path` and the parent fsynced. An existing `path` is replaced (moved aside first, then
 * removed), so at every moment the directory is either absent, the old one, or the complete new one.
 */
export const writeDirAtomic = (path: string, files: Readonly<Record<string, FileData>>): E.Either<Error, string> => {
  const parent = dirname(path);
  const tmp = join(parent, `${basename(path)}${tmpSuffix()}`);
  try {
    for (const name of Object.keys(files))
      if (name === '' || name === '.' || name === '..' || /[/\\]/.test(name))
        return E.left(new Error(`${path}: file name expected a plain name, found '${name}'`));
    mkdirSync(parent, { recursive: true });
    mkdirSync(tmp);
    for (const [i, [name, data]] of Object.entries(files).entries()) {
      writeAndSync(join(tmp, name), data);
      if (i === 0) faultPoint('dir:after-first-file');
    }
    fsyncDir(tmp);
    faultPoint('dir:before-rename');
    if (existsSync(path)) {
      const old = join(parent, `${basename(path)}.del-${process.pid}-${counter++}`);
      renameSync(path, old);
      renameSync(tmp, path);
      faultPoint('dir:after-rename');
      fsyncDir(parent);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, path);
      faultPoint('dir:after-rename');
      fsyncDir(parent);
    }
    return E.right(path);
  } catch (e) {
    try {
      rmSync(tmp, { recursive: true, force: true });
    } catch {
      /* the original error is the one to report */
    }
    return E.left(asError(e, `${path}: atomic write failed`));
  }
};

/** Is the process with this id still running? (A process we may not signal counts as alive.) */
export const processAlive = (pid: number): boolean => {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const LEFTOVER = /\.(tmp|del)-(\d+)-\d+$/;

/**
 * Remove leftovers of interrupted atomic writes in `dir` (`*.tmp-<pid>-<n>`, `*.del-<pid>-<n>`)
 * whose writing process is gone (and, if given, that `only` accepts). Returns the names removed.
 */
export const cleanLeftovers = (dir: string, only: (name: string) => boolean = () => true): string[] => {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = LEFTOVER.exec(name);
    if (!m || !only(name) || processAlive(Number(m[2]))) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  if (removed.length) fsyncDir(dir);
  return removed;
};

/** Does this directory entry name a leftover of an interrupted atomic write? */
export const isLeftover = (name: string): boolean => LEFTOVER.test(name);
