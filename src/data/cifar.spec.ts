import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { cifarBatch, pattern, tempDir } from '../../test/fixtures/data.js';
import { decodeCifar10, readCifar10 } from './cifar.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
const leftMessage = <A>(r: E.Either<Error, A>): string => {
  if (E.isRight(r)) throw new Error('expected an error, got a value');
  return r.left.message;
};

describe('CIFAR-10 binary', () => {
  it('converts planar R, G, B records to H, W, C order with labels', () => {
    const r = decodeCifar10([{ file: 'b1', data: cifarBatch([3, 9]) }]);
    expect(E.isRight(r)).toBe(true);
    if (E.isLeft(r)) return;
    expect(r.right.shape).toEqual({ height: 32, width: 32, channels: 3, levels: 256 });
    expect(r.right.records.map((x) => [x.label, x.index])).toEqual([[3, 0], [9, 1]]);
    const px = r.right.records[1]!.pixels;
    expect(px.length).toBe(3072);
    for (const [row, col, ch] of [[0, 0, 0], [0, 1, 0], [5, 7, 1], [31, 31, 2], [12, 3, 2]] as const)
      expect(px[(row * 32 + col) * 3 + ch]).toBe(pattern(1, ch * 1024 + row * 32 + col));
  });

  it('concatenates several files in the order given, indexes running on', async () => {
    const a = path.join(tmp.dir, 'data_batch_1.bin');
    const b = path.join(tmp.dir, 'data_batch_2.bin');
    writeFileSync(a, cifarBatch([1, 2]));
    writeFileSync(b, cifarBatch([5]));
    const r = await readCifar10([a, b]);
    expect(E.isRight(r) && r.right.records.map((x) => [x.label, x.index])).toEqual([[1, 0], [2, 1], [5, 2]]);
    expect(E.isRight(r) && r.right.name).toBe(`${a}+${b}`);
  });

  describe('bad input: errors name the file, what was expected and what was found', () => {
    it('length not a multiple of 3073', () => {
      const msg = leftMessage(decodeCifar10([{ file: 'ok.bin', data: cifarBatch([1]) }, { file: 'short.bin', data: cifarBatch([1, 2]).subarray(0, 5000) }]));
      expect(msg).toBe('short.bin: expected a positive multiple of 3073 bytes (label + 3×32×32 per record), found 5000 bytes = 1 records + 1927 bytes');
    });
    it('empty file', () => {
      expect(leftMessage(decodeCifar10([{ file: 'empty.bin', data: new Uint8Array(0) }]))).toMatch(
        /^empty\.bin: expected a positive multiple of 3073 bytes .*found 0 bytes/,
      );
    });
    it('CIFAR-100 records (3074 bytes) get a hint', () => {
      expect(leftMessage(decodeCifar10([{ file: 'train.bin', data: new Uint8Array(3074 * 2) }]))).toMatch(/CIFAR-100\?/);
    });
    it('a label outside 0..9 (misaligned file)', () => {
      const d = cifarBatch([1, 2]);
      d[3073] = 200;
      expect(leftMessage(decodeCifar10([{ file: 'bad-label.bin', data: d }]))).toBe(
        'bad-label.bin: expected a label 0..9 at record 1 (byte 3073), found 200',
      );
    });
    it('no files and a missing file', async () => {
      expect(leftMessage(decodeCifar10([]))).toBe('CIFAR-10: expected at least one batch file, found none');
      const missing = path.join(tmp.dir, 'test_batch.bin');
      expect(leftMessage(await readCifar10([missing]))).toBe(`${missing}: expected a readable file, found no such file (ENOENT)`);
    });
  });
});
