// A run folder is ours or untouched. `train --out DIR` writes only into a folder that does not
// exist yet, is empty, or is a pixelstreams run (it holds our manifest, RUN_MANIFEST, or — for runs
// written before the manifest existed — our checkpoints); anything else is an error before a byte is
// written. Inside our folder a file the run did not write (a samples.png or report.json of someone
// else's) is never replaced. `sample --out` and `eval --out` never write inside a checkpoint, and
// replace only files pixelstreams wrote. A lock file (pid, hostname) keeps a second writer out;
// a lock left by a dead process on this host is taken over.

import { closeSync, existsSync, linkSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync, fsyncSync, accessSync, constants } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { CHECKPOINTS_DIR, listCheckpoints } from '../src/checkpoint/checkpoint.js';
import { CHECKPOINT_FORMAT, MANIFEST_FILE } from '../src/checkpoint/manifest.js';
import { readFileBounded, readPrefix } from '../src/data/files.js';
import { writtenByPixelstreams } from '../src/data/png.js';
import { fsyncDir, processAlive, writeFileAtomic } from '../src/fsAtomic.js';

export const RUN_MANIFEST = 'pixelstreams-run.json';
export const RUN_FORMAT = 'pixelstreams-run';
export const LOCK_FILE = 'pixelstreams.lock';

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

const readJson = (p: string): unknown => {
  const bytes = readFileBounded(p, 1 << 20);
  if (E.isLeft(bytes)) return undefined;
  try {
    return JSON.parse(bytes.right.toString('utf8'));
  } catch {
    return undefined;
  }
};

const formatOf = (p: string): unknown => (readJson(p) as { format?: unknown } | undefined)?.format;

/** Does `dir` hold our run manifest, or (runs from before it) at least one of our checkpoints? */
export const isOurRunFolder = (dir: string): boolean =>
  formatOf(join(dir, RUN_MANIFEST)) === RUN_FORMAT ||
  listCheckpoints(dir).some((c) => formatOf(join(c.path, MANIFEST_FILE)) === CHECKPOINT_FORMAT);

/** The nearest ancestor of `p` (itself included) that exists. */
const nearestExisting = (p: string): string => {
  let cur = resolve(p);
  while (!existsSync(cur) && dirname(cur) !== cur) cur = dirname(cur);
  return cur;
};

/** Can we create `p` (or write into it, if it is a folder)? An error names the folder that is not writable. */
const checkWritable = (p: string, flag: string): E.Either<Error, void> => {
  const at = nearestExisting(p);
  if (!isDir(at)) return E.left(new Error(`${flag} ${p}: expected a folder (or a path to create), found a file at ${at}`));
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
    return E.right(undefined);
  } catch {
    return E.left(new Error(`${flag} ${p}: expected a writable folder, found ${at} not writable`));
  }
};

export type RunFolderState = 'new' | 'empty' | 'ours';

/** May `train` write into `dir`? Nothing is written; the error says why not. */
export const checkRunFolder = (dir: string): E.Either<Error, RunFolderState> => {
  if (!existsSync(dir)) return E.map((): RunFolderState => 'new')(checkWritable(dir, '--out'));
  if (!isDir(dir)) return E.left(new Error(`--out ${dir}: expected a run folder, found a file`));
  const w = checkWritable(dir, '--out');
  if (E.isLeft(w)) return w;
  // The lock and its temporary siblings are ours whoever holds them (the lock itself is checked when
  // taken), and so is a run manifest being written: another train that has just taken the lock.
  const entries = readdirSync(dir).filter((n) => n !== LOCK_FILE && !n.startsWith(`.${LOCK_FILE}.`) && !n.startsWith(`.${RUN_MANIFEST}.tmp-`));
  if (entries.length === 0) return E.right('empty');
  if (isOurRunFolder(dir)) return E.right('ours');
  const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', …' : '');
  return E.left(
    new Error(
      `--out ${dir}: expected an empty folder or a pixelstreams run folder (with ${RUN_MANIFEST}), found ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} of something else (${shown}); nothing was written — choose another --out`,
    ),
  );
};

/** A report of ours: JSON with the `pixelstreams` version field and the command that wrote it. */
const isOurReport = (p: string, command?: string): boolean => {
  const j = readJson(p) as { pixelstreams?: unknown; command?: unknown } | undefined;
  return typeof j?.pixelstreams === 'string' && (command === undefined || j.command === command);
};

/** `file` is absent, or a file pixelstreams wrote of this kind, so it may be replaced. */
export const checkReplaceable = (file: string, kind: 'png' | 'report', flag: string, command?: string): E.Either<Error, void> => {
  if (!existsSync(file)) return E.right(undefined);
  let s;
  try {
    s = statSync(file);
  } catch (e) {
    return E.left(new Error(`${flag} ${file}: cannot inspect (${(e as Error).message})`));
  }
  if (s.isDirectory()) return E.left(new Error(`${flag} ${file}: expected a file path, found a folder`));
  if (!s.isFile()) return E.left(new Error(`${flag} ${file}: expected a file path, found a special file`));
  const ours = kind === 'png' ? (() => { const b = readPrefix(file, 128); return E.isRight(b) && writtenByPixelstreams(b.right); })() : isOurReport(file, command);
  return ours
    ? E.right(undefined)
    : E.left(new Error(`${flag} ${file}: exists and was not written by pixelstreams; refusing to replace it (remove it or choose another path)`));
};

/** The checkpoint folder (or run's checkpoints folder) `p` lies in, if any. */
export const enclosingCheckpoint = (p: string): string | null => {
  let cur = resolve(p);
  for (;;) {
    if (isDir(cur)) {
      if (formatOf(join(cur, MANIFEST_FILE)) === CHECKPOINT_FORMAT) return cur;
      if (basename(cur) === CHECKPOINTS_DIR && isOurRunFolder(dirname(cur))) return cur;
    }
    const up = dirname(cur);
    if (up === cur) return null;
    cur = up;
  }
};

/** Where `sample --out FILE` may write: not inside a checkpoint, a PNG of ours or nothing there, writable. */
export const checkSampleOut = (file: string): E.Either<Error, void> => {
  const inside = enclosingCheckpoint(dirname(resolve(file)));
  if (inside) return E.left(new Error(`--out ${file}: expected a path outside checkpoints, found it inside ${inside}`));
  const r = checkReplaceable(file, 'png', '--out');
  return E.isLeft(r) ? r : checkWritable(dirname(resolve(file)), '--out');
};

/** Where `eval --out DIR` may write eval-report.json. */
export const checkEvalOut = (dir: string, name: string): E.Either<Error, void> => {
  const inside = enclosingCheckpoint(dir);
  if (inside) return E.left(new Error(`--out ${dir}: expected a folder outside checkpoints, found it inside ${inside}`));
  if (existsSync(dir) && !isDir(dir)) return E.left(new Error(`--out ${dir}: expected a folder, found a file`));
  const r = checkReplaceable(join(dir, name), 'report', '--out', 'eval');
  return E.isLeft(r) ? r : checkWritable(dir, '--out');
};

/** Mark `dir` as ours (atomically, once). */
export const writeRunManifest = (dir: string, version: string): E.Either<Error, string> =>
  existsSync(join(dir, RUN_MANIFEST))
    ? E.right(join(dir, RUN_MANIFEST))
    : writeFileAtomic(join(dir, RUN_MANIFEST), `${JSON.stringify({ format: RUN_FORMAT, version: 1, pixelstreams: version, createdAt: new Date().toISOString() }, null, 2)}\n`);

// ── The lock ─────────────────────────────────────────────────────────────────────────────────

export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  readonly token: string;
}

export interface RunLock {
  readonly path: string;
  /** Remove the lock if it is still ours (idempotent). */
  readonly release: () => void;
}

const readHolder = (path: string): LockHolder | undefined => {
  const j = readJson(path) as Partial<LockHolder> | undefined;
  return j && typeof j.pid === 'number' && typeof j.hostname === 'string' && typeof j.token === 'string' ? (j as LockHolder) : undefined;
};

let lockCounter = 0;

/**
 * Take the run folder's lock: the lock file is written whole under a temporary name and hard-linked
 * into place (atomic; fails if a lock exists). A lock whose holder is a dead process of this host is
 * stale: it is moved aside, checked to be the same stale lock, removed, and the lock taken again. A
 * live holder, or one on another host (we cannot tell whether it lives), is an error saying who.
 */
export const acquireLock = (dir: string): E.Either<Error, RunLock> => {
  const path = join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), token: `${process.pid}-${Date.now()}-${lockCounter++}-${Math.random().toString(36).slice(2)}` };
  const tmp = join(dir, `.${LOCK_FILE}.tmp-${process.pid}-${lockCounter++}`);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      writeSync(fd, `${JSON.stringify(me)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, path);
        fsyncDir(dir);
        const release = () => {
          if (readHolder(path)?.token === me.token) unlinkSync(path);
        };
        return E.right({ path, release });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = readHolder(path);
      if (!holder) {
        // Written whole or not at all by us, so a lock we cannot read is not ours to remove.
        return E.left(new Error(`${dir}: locked by ${path}, which is not a lock pixelstreams can read; if no pixelstreams process uses this folder, remove that file`));
      }
      const stale = holder.hostname === me.hostname && !processAlive(holder.pid);
      if (!stale)
        return E.left(
          new Error(
            `${dir}: in use by another pixelstreams process (pid ${holder.pid} on ${holder.hostname}, since ${holder.startedAt}); ` +
              `wait for it to finish${holder.hostname === me.hostname ? '' : ', or, if it is gone, remove ' + path}`,
          ),
        );
      // Stale: move it aside, and remove it only if it is the stale lock we read.
      const aside = join(dir, `.${LOCK_FILE}.stale-${process.pid}-${lockCounter++}`);
      try {
        renameSync(path, aside);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // someone else removed it: try again
        throw e;
      }
      if (readHolder(aside)?.token === holder.token) unlinkSync(aside);
      else {
        // Another process took the lock between our read and our rename: put its lock back.
        try {
          linkSync(aside, path);
        } catch {
          /* a third one holds it now; either way it is not ours */
        }
        unlinkSync(aside);
      }
    }
    return E.left(new Error(`${dir}: could not take the lock ${path} (it kept changing hands)`));
  } catch (e) {
    return E.left(new Error(`${dir}: cannot write the lock file ${path} (${(e as Error).message})`));
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  }
};

/** Read a lock (for messages and tests). */
export const lockHolder = (dir: string): LockHolder | undefined => readHolder(join(dir, LOCK_FILE));
