import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { pngFile } from '../../test/fixtures/data.js';
import { checkPngShape, decodePng, encodePngGrid } from './png.js';

const right = <A>(r: E.Either<Error, A>): A => {
  if (E.isLeft(r)) throw r.left;
  return r.right;
};
const leftMessage = <A>(r: E.Either<Error, A>): string => {
  if (E.isRight(r)) throw new Error('expected an error, got a value');
  return r.left.message;
};
const v = (x: number, y: number, k: number) => (x * 17 + y * 5 + k * 50) & 255;

describe('decodePng', () => {
  it('greyscale → C = 1, values in H, W order', () => {
    const d = right(decodePng(pngFile(5, 3, 0), 'g.png'));
    expect([d.height, d.width, d.channels]).toEqual([3, 5, 1]);
    expect(d.pixels[2 * 5 + 4]).toBe(v(4, 2, 0));
  });
  it('RGB → C = 3 in H, W, C order', () => {
    const d = right(decodePng(pngFile(4, 2, 2), 'c.png'));
    expect([d.height, d.width, d.channels]).toEqual([2, 4, 3]);
    for (let k = 0; k < 3; k++) expect(d.pixels[(1 * 4 + 3) * 3 + k]).toBe(v(3, 1, k));
  });
  it('RGBA → C = 3, alpha dropped (not composited)', () => {
    const d = right(decodePng(pngFile(2, 2, 6, (x, y, k) => (k === 3 ? 0 : 100 + k)), 'a.png'));
    expect(d.channels).toBe(3);
    expect(Array.from(d.pixels.subarray(0, 3))).toEqual([100, 101, 102]);
  });
  it('bad input: a 16-bit PNG is rejected', () => {
    expect(leftMessage(decodePng(pngFile(2, 2, 2, undefined, 16), 'deep.png'))).toBe(
      'deep.png: expected an 8-bit PNG (bit depth ≤ 8), found bit depth 16',
    );
  });
  it('bad input: not a PNG', () => {
    expect(leftMessage(decodePng(Buffer.from('GIF89a......'), 'pic.png'))).toBe(
      'pic.png: expected a PNG file (signature 89 50 4e 47 0d 0a 1a 0a), found first bytes 47 49 46 38 39 61 2e 2e',
    );
    expect(leftMessage(decodePng(new Uint8Array(0), 'zero.png'))).toMatch(/^zero\.png: expected a PNG file .*found first bytes \(no bytes\)$/);
  });
  it('bad input: a truncated PNG', () => {
    const b = pngFile(8, 8, 2);
    expect(leftMessage(decodePng(b.subarray(0, 40), 'cut.png'))).toMatch(/^cut\.png: expected a valid PNG, found a corrupt PNG \(.+\)$/);
  });
  it('checkPngShape names expected and found sizes and colour types', () => {
    const d = right(decodePng(pngFile(4, 2, 2), 'c.png'));
    expect(leftMessage(checkPngShape(d, 'c.png', { height: 2, width: 5, channels: 3 }, 'a.png'))).toBe(
      'c.png: expected 5×2 pixels (like a.png), found 4×2',
    );
    expect(leftMessage(checkPngShape(d, 'c.png', { height: 2, width: 4, channels: 1 }))).toBe('c.png: expected greyscale, found RGB');
    expect(E.isRight(checkPngShape(d, 'c.png', { height: 2, width: 4, channels: 3 }))).toBe(true);
  });
});

describe('encodePngGrid', () => {
  it('writes a greyscale grid with 1-px separators, levels mapped to 0..255', () => {
    const shape = { height: 2, width: 3, channels: 1, levels: 2 };
    const a = Uint8Array.from([1, 0, 1, 0, 1, 0]);
    const b = Uint8Array.from([0, 0, 0, 1, 1, 1]);
    const c = Uint8Array.from([1, 1, 1, 1, 1, 1]);
    const d = right(decodePng(encodePngGrid([a, b, c], shape, { columns: 2, separator: 7 }), 'grid.png'));
    expect([d.width, d.height, d.channels]).toEqual([3 * 2 + 1, 2 * 2 + 1, 1]);
    const at = (x: number, y: number) => d.pixels[y * d.width + x];
    expect([at(0, 0), at(1, 0), at(2, 0), at(3, 0), at(4, 0), at(4, 1)]).toEqual([255, 0, 255, 7, 0, 255]);
    expect(at(0, 2)).toBe(7); // horizontal separator
    expect([at(0, 3), at(2, 4), at(4, 3)]).toEqual([255, 255, 7]); // third image, then an empty cell
  });
  it('writes RGB with integer upscaling; 8-bit values unchanged', () => {
    const img = Uint8Array.from([10, 20, 30, 40, 50, 60]); // 1×2×3
    const d = right(decodePng(encodePngGrid([img], { height: 1, width: 2, channels: 3, levels: 256 }, { scale: 2 }), 'rgb.png'));
    expect([d.width, d.height, d.channels]).toEqual([4, 2, 3]);
    expect(Array.from(d.pixels.subarray(0, 12))).toEqual([10, 20, 30, 10, 20, 30, 40, 50, 60, 40, 50, 60]);
    expect(Array.from(d.pixels.subarray(12, 15))).toEqual([10, 20, 30]);
  });
  it('throws RangeError on an image of the wrong length', () => {
    expect(() => encodePngGrid([new Uint8Array(5)], { height: 2, width: 3, channels: 1, levels: 256 })).toThrow(
      /image 0: expected 6 values \(2×3×1\), found 5/,
    );
  });
});
