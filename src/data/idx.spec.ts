import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { idxImages, idxLabels, pattern, tempDir } from '../../test/fixtures/data.js';
import { decodeIdxImages, decodeIdxLabels, decodeMnistIdx, readMnistIdx } from './idx.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
const write = (name: string, data: Uint8Array): string => {
  const f = path.join(tmp.dir, name);
  writeFileSync(f, data);
  return f;
};
const named = (file: string, data: Uint8Array) => ({ file, data });
const leftMessage = <A>(r: E.Either<Error, A>): string => {
  if (E.isRight(r)) throw new Error('expected an error, got a value');
  return r.left.message;
};

describe('MNIST IDX', () => {
  it('decodes raw images and labels into an 8-bit greyscale set', () => {
    const r = decodeMnistIdx(named('a-images', idxImages(3, 4, 5)), named('a-labels', idxLabels([7, 0, 9])));
    expect(E.isRight(r)).toBe(true);
    if (E.isLeft(r)) return;
    const set = r.right;
    expect(set.shape).toEqual({ height: 4, width: 5, channels: 1, levels: 256 });
    expect(set.records.map((x) => x.label)).toEqual([7, 0, 9]);
    expect(set.records.map((x) => x.index)).toEqual([0, 1, 2]);
    set.records.forEach((rec, i) => {
      expect(rec.pixels).toBeInstanceOf(Uint8Array);
      expect(Array.from(rec.pixels)).toEqual(Array.from({ length: 20 }, (_, p) => pattern(i, p)));
    });
  });

  it('decodes gzipped files read from disk, with and without labels', async () => {
    const im = write('t10k-images-idx3-ubyte.gz', idxImages(4, 3, 3, true));
    const lb = write('t10k-labels-idx1-ubyte.gz', idxLabels([1, 2, 3, 4], true));
    const withLabels = await readMnistIdx(im, lb);
    const without = await readMnistIdx(im);
    expect(E.isRight(withLabels) && withLabels.right.records.map((r) => r.label)).toEqual([1, 2, 3, 4]);
    expect(E.isRight(without) && without.right.records.length).toBe(4);
    expect(E.isRight(without) && without.right.records[0]!.label).toBe(undefined);
    expect(E.isRight(without) && Array.from(without.right.records[3]!.pixels)).toEqual(
      Array.from({ length: 9 }, (_, p) => pattern(3, p)),
    );
  });

  it('accepts a set of zero images', () => {
    const r = decodeIdxImages(named('empty-set', idxImages(0, 28, 28)));
    expect(E.isRight(r) && r.right.count).toBe(0);
  });

  describe('bad input: errors name the file, what was expected and what was found', () => {
    it('truncated image file', () => {
      const full = idxImages(2, 4, 4);
      const msg = leftMessage(decodeIdxImages(named('trunc-images', full.subarray(0, full.length - 3))));
      expect(msg).toContain('trunc-images');
      expect(msg).toMatch(/expected 48 bytes \(16-byte header \+ 2×4×4\), found 45 bytes \(truncated\)/);
    });
    it('trailing bytes after the images', () => {
      const msg = leftMessage(decodeIdxImages(named('long-images', Buffer.concat([idxImages(1, 2, 2), Buffer.from([1])]))));
      expect(msg).toMatch(/long-images: expected 20 bytes .*found 21 bytes \(trailing bytes\)/);
    });
    it('wrong magic: a label file given as images', () => {
      const msg = leftMessage(decodeIdxImages(named('labels-as-images', Buffer.concat([idxLabels([1, 2, 3]), Buffer.alloc(20)]))));
      expect(msg).toBe('labels-as-images: expected IDX image magic 0x00000803, found 0x00000801 (an IDX label file)');
    });
    it('wrong magic: random bytes', () => {
      const msg = leftMessage(decodeIdxImages(named('random.bin', Buffer.from('hello world, not an idx file'))));
      expect(msg).toMatch(/^random\.bin: expected IDX image magic 0x00000803, found 0x68656c6c$/);
    });
    it('empty image file', () => {
      expect(leftMessage(decodeIdxImages(named('empty.idx', new Uint8Array(0))))).toBe(
        'empty.idx: expected an IDX image file with a 16-byte header, found 0 bytes',
      );
    });
    it('zero image dimensions', () => {
      const b = idxImages(1, 2, 2);
      b.writeUInt32BE(0, 12);
      expect(leftMessage(decodeIdxImages(named('zero-width', b)))).toBe('zero-width: expected image dimensions ≥ 1, found 2×0');
    });
    it('truncated gzip stream', () => {
      const gz = idxImages(2, 4, 4, true);
      const msg = leftMessage(decodeIdxImages(named('cut.gz', gz.subarray(0, gz.length - 10))));
      expect(msg).toMatch(/^cut\.gz: expected a complete gzip stream, found gunzip failed/);
    });
    it('wrong label magic and truncated labels', () => {
      expect(leftMessage(decodeIdxLabels(named('images-as-labels', idxImages(1, 2, 2))))).toMatch(
        /^images-as-labels: expected IDX label magic 0x00000801, found 0x00000803 \(an IDX image file\)$/,
      );
      const lb = idxLabels([1, 2, 3]);
      expect(leftMessage(decodeIdxLabels(named('short-labels', lb.subarray(0, 10))))).toMatch(
        /^short-labels: expected 11 bytes \(8-byte header \+ 3 labels\), found 10 bytes \(truncated\)$/,
      );
    });
    it('label count differs from image count', () => {
      const msg = leftMessage(decodeMnistIdx(named('imgs', idxImages(3, 2, 2)), named('lbls', idxLabels([1, 2]))));
      expect(msg).toBe('lbls: expected 3 labels (one per image in imgs), found 2 labels');
    });
    it('missing file', async () => {
      const missing = path.join(tmp.dir, 'nope-images-idx3-ubyte');
      const msg = leftMessage(await readMnistIdx(missing));
      expect(msg).toBe(`${missing}: expected a readable file, found no such file (ENOENT)`);
      const im = write('ok-images', idxImages(1, 2, 2));
      expect(leftMessage(await readMnistIdx(im, missing + '-labels'))).toContain('nope-images-idx3-ubyte-labels: expected a readable file');
    });
  });
});
