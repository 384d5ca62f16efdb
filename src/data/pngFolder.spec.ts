import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { pngFile, tempDir } from '../../test/fixtures/data.js';
import { readPngFolder, sortFileNames } from './pngFolder.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
let count = 0;
const folder = (files: Record<string, Uint8Array | string>): string => {
  const dir = path.join(tmp.dir, `f${count++}`);
  mkdirSync(dir);
  for (const [name, data] of Object.entries(files)) writeFileSync(path.join(dir, name), data);
  return dir;
};
const leftMessage = <A>(r: E.Either<Error, A>): string => {
  if (E.isRight(r)) throw new Error('expected an error, got a value');
  return r.left.message;
};
const grey = (level: number) => pngFile(3, 2, 0, () => level);

describe('PNG folder', () => {
  it('reads the .png files in natural name order, ignoring other files', async () => {
    const dir = folder({ 'img10.png': grey(10), 'img2.png': grey(2), 'img1.PNG': grey(1), 'notes.txt': 'hi', '.hidden.png': 'x' });
    const r = await readPngFolder(dir);
    expect(E.isRight(r)).toBe(true);
    if (E.isLeft(r)) return;
    expect(r.right.shape).toEqual({ height: 2, width: 3, channels: 1, levels: 256 });
    expect(r.right.records.map((x) => [x.index, x.pixels[0]])).toEqual([[0, 1], [1, 2], [2, 10]]);
    expect(r.right.name).toBe(dir);
  });
  it('RGB and RGBA files together give C = 3', async () => {
    const r = await readPngFolder(folder({ 'a.png': pngFile(2, 2, 2), 'b.png': pngFile(2, 2, 6) }));
    expect(E.isRight(r) && r.right.shape.channels).toBe(3);
  });
  it('a folder of class subfolders is a labelled set: classes in natural name order, one label per subfolder', async () => {
    const dir = folder({});
    for (const [cls, levels] of [['cat10', [7]], ['cat2', [3, 4]], ['.hidden', [9]]] as const) {
      mkdirSync(path.join(dir, cls));
      levels.forEach((l, n) => writeFileSync(path.join(dir, cls, `img${n}.png`), grey(l)));
    }
    const r = await readPngFolder(dir);
    if (E.isLeft(r)) throw r.left;
    expect(r.right.classNames).toEqual(['cat2', 'cat10']);
    expect(r.right.records.map((x) => [x.label, x.pixels[0]])).toEqual([[0, 3], [0, 4], [1, 7]]);
    // negative control: an empty class folder is an error naming it
    mkdirSync(path.join(dir, 'empty'));
    expect(leftMessage(await readPngFolder(dir))).toMatch(/empty: expected a class folder with at least one \.png file, found 0 entries/);
  });
  it('sorts deterministically', () => {
    expect(sortFileNames(['b.png', 'a10.png', 'a9.png', 'A1.png'])).toEqual(['A1.png', 'a9.png', 'a10.png', 'b.png']);
  });

  describe('bad input: errors name the file, what was expected and what was found', () => {
    it('a wrongly sized PNG', async () => {
      const dir = folder({ 'a.png': grey(1), 'b.png': pngFile(4, 2, 0) });
      expect(leftMessage(await readPngFolder(dir))).toBe(`${path.join(dir, 'b.png')}: expected 3×2 pixels (like a.png), found 4×2`);
    });
    it('mixed greyscale and RGB', async () => {
      const dir = folder({ 'a.png': grey(1), 'b.png': pngFile(3, 2, 2) });
      expect(leftMessage(await readPngFolder(dir))).toBe(`${path.join(dir, 'b.png')}: expected greyscale (like a.png), found RGB`);
    });
    it('a non-PNG file named .png', async () => {
      const dir = folder({ 'a.png': grey(1), 'b.png': 'not a png at all' });
      expect(leftMessage(await readPngFolder(dir))).toMatch(
        new RegExp(`^${path.join(dir, 'b.png').replace(/[.\\/]/g, '\\$&')}: expected a PNG file \\(signature .*\\), found first bytes 6e 6f 74`),
      );
    });
    it('a 16-bit PNG in the folder', async () => {
      const dir = folder({ 'a.png': grey(1), 'deep.png': pngFile(3, 2, 0, undefined, 16) });
      expect(leftMessage(await readPngFolder(dir))).toBe(`${path.join(dir, 'deep.png')}: expected an 8-bit PNG (bit depth ≤ 8), found bit depth 16`);
    });
    it('an empty folder and a folder without PNGs', async () => {
      const empty = folder({});
      expect(leftMessage(await readPngFolder(empty))).toBe(`${empty}: expected a folder with at least one .png file, found 0 entries, none ending in .png (nor subfolders of them, one per class)`);
      const txt = folder({ 'a.txt': 'x', 'b.jpg': 'y' });
      expect(leftMessage(await readPngFolder(txt))).toBe(`${txt}: expected a folder with at least one .png file, found 2 entries, none ending in .png (nor subfolders of them, one per class)`);
    });
    it('a missing folder, and a file given as folder', async () => {
      const missing = path.join(tmp.dir, 'no-such-dir');
      expect(leftMessage(await readPngFolder(missing))).toBe(`${missing}: expected a readable folder, found no such file (ENOENT)`);
      const dir = folder({ 'a.png': grey(1) });
      const file = path.join(dir, 'a.png');
      expect(leftMessage(await readPngFolder(file))).toBe(`${file}: expected a folder, found a file`);
    });
  });
});
