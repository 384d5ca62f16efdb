// A folder of PNG files as one ImageSet. Only files ending in .png (any case) are read, in
// natural order of their names (img2 before img10). All must have the same width, height and
// colour type as the first; see png.ts for what each PNG may be. A folder holding no PNG files but
// subfolders of them is a labelled set: one class per subfolder, in natural order of their names
// (the class names), every image labelled with its subfolder's class.

import * as E from 'fp-ts/lib/Either.js';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { fileError } from './errors.js';
import { listFolder, readAllNamed, type NamedBuffer } from './files.js';
import { LIMITS } from './limits.js';
import { checkPngShape, decodePng, inspectPng } from './png.js';
import type { ImageRecord, ImageSet } from './records.js';

const collator = new Intl.Collator('en', { numeric: true });

/** Natural order of file names, ties broken by code points (deterministic). */
export const sortFileNames = (names: readonly string[]): string[] =>
  [...names].sort((a, b) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0));

export const isPngName = (name: string): boolean => /\.png$/i.test(name) && !name.startsWith('.');

/** Decode PNG files (already in the order wanted) into an ImageSet, levels 256. Pure. */
export const decodePngFiles = (files: readonly NamedBuffer[], name: string): E.Either<Error, ImageSet> => {
  if (files.length === 0) return E.left(fileError(name, 'at least one .png file', 'none'));
  const records: ImageRecord[] = [];
  let first: { file: string; height: number; width: number; channels: 1 | 3 } | undefined;
  let decodedBytes = 0;
  for (const { file, data } of files) {
    // Bound the whole set before decoding the next one: its header says what it will take.
    const head = inspectPng(data, file);
    if (E.isLeft(head)) return head;
    decodedBytes += head.right.width * head.right.height * 4;
    if (decodedBytes > LIMITS.decodedBytes)
      return E.left(fileError(file, `a folder decoding to at most ${LIMITS.decodedBytes} bytes of pixels (the decoded-data limit)`, 'more with this file'));
    const d = decodePng(data, file);
    if (E.isLeft(d)) return d;
    if (first) {
      const c = checkPngShape(d.right, file, first, path.basename(first.file));
      if (E.isLeft(c)) return c;
    } else first = { file, height: d.right.height, width: d.right.width, channels: d.right.channels };
    records.push({ pixels: d.right.pixels, index: records.length });
  }
  const f = first!;
  return E.right({ name, shape: { height: f.height, width: f.width, channels: f.channels, levels: 256 }, records });
};

/** The labelled set of a folder of class subfolders (see the header), or undefined when it has none. */
const readClassFolders = async (dir: string, entries: readonly string[]): Promise<E.Either<Error, ImageSet> | undefined> => {
  const classes: string[] = [];
  for (const name of sortFileNames(entries.filter((n) => !n.startsWith('.'))))
    try {
      if ((await stat(path.join(dir, name))).isDirectory()) classes.push(name);
    } catch {
      /* not ours to read: left out */
    }
  if (classes.length === 0) return undefined;
  const files: NamedBuffer[] = [];
  const labels: number[] = [];
  for (const [label, name] of classes.entries()) {
    const sub = path.join(dir, name);
    const ls = await listFolder(sub);
    if (E.isLeft(ls)) return ls;
    const pngs = sortFileNames(ls.right.filter(isPngName));
    if (pngs.length === 0) return E.left(fileError(sub, 'a class folder with at least one .png file', `${ls.right.length} entries, none ending in .png`));
    const read = await readAllNamed(pngs.map((n) => path.join(sub, n)), LIMITS.fileBytes - files.reduce((t, f) => t + f.data.byteLength, 0));
    if (E.isLeft(read)) return read;
    files.push(...read.right);
    labels.push(...pngs.map(() => label));
  }
  const set = decodePngFiles(files, dir);
  return E.map((s: ImageSet): ImageSet => ({ ...s, records: s.records.map((r, i) => ({ ...r, label: labels[i]! })), classNames: classes }))(set);
};

/** Read every .png file of a folder (edge). Missing folder, no PNGs, a bad PNG → Error naming it. */
export const readPngFolder = async (dir: string): Promise<E.Either<Error, ImageSet>> => {
  const ls = await listFolder(dir);
  if (E.isLeft(ls)) return ls;
  const names = sortFileNames(ls.right.filter(isPngName));
  if (names.length === 0) {
    const classes = await readClassFolders(dir, ls.right);
    if (classes) return classes;
    return E.left(fileError(dir, 'a folder with at least one .png file (or subfolders of them, one per class)', `${ls.right.length} entries, none ending in .png`));
  }
  // Every name must be a regular file (a folder named x.png, a FIFO: an error naming it).
  const files = await readAllNamed(names.map((n) => path.join(dir, n)));
  return E.isLeft(files) ? files : decodePngFiles(files.right, dir);
};
