import { deflateSync, inflateSync } from 'node:zlib';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { pngFile, pngChunk } from '../../test/fixtures/data.js';
import { checkPngShape, decodePng, encodePngGrid, writtenByPixelstreams } from './png.js';

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

// ── Completeness against the header: an interlaced PNG written by hand (pngjs cannot
// write one), whole and cut short, and the Software tag of our own PNGs. ──

const chunk = pngChunk;
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

/** A greyscale 8-bit Adam7-interlaced PNG of w × h with value(x, y); `keep` cuts the raw data. */
const interlacedPng = (w: number, h: number, value: (x: number, y: number) => number, keep?: number): Buffer => {
  const raw: number[] = [];
  for (const [x0, y0, dx, dy] of ADAM7)
    for (let y = y0; y < h; y += dy) {
      const row: number[] = [];
      for (let x = x0; x < w; x += dx) row.push(value(x, y));
      if (row.length) raw.push(0, ...row); // filter type 0
    }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 0, 0, 0, 1], 8); // depth 8, greyscale, deflate, filter 0, Adam7
  const data = deflateSync(Buffer.from(raw.slice(0, keep ?? raw.length)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', data), chunk('IEND', new Uint8Array(0))]);
};

describe('decodePng: complete and consistent with its header', () => {
  it('an interlaced PNG decodes to its pixels (the Adam7 size is computed right)', () => {
    const value = (x: number, y: number) => (x * 23 + y * 7) & 255;
    for (const [w, h] of [[5, 3], [9, 9], [1, 1], [16, 2]] as const) {
      const d = right(decodePng(interlacedPng(w, h, value), 'i.png'));
      expect([d.width, d.height]).toEqual([w, h]);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(d.pixels[y * w + x]).toBe(value(x, y));
    }
  });

  it('an interlaced PNG cut short is an error naming the file and both sizes (negative control above)', () => {
    expect(leftMessage(decodePng(interlacedPng(9, 9, () => 1, 40), 'cut.png'))).toMatch(
      /^cut\.png: expected a valid PNG, found a corrupt PNG \(the image data ends early: it inflates to 40 bytes, the 9×9 header needs \d+\)$/,
    );
  });

  it('image data that inflates past what the header needs is an error (the inflation bound)', () => {
    const png = pngFile(4, 4, 0);
    const len = png.readUInt32BE(33);
    const raw = inflateSync(png.subarray(41, 41 + len));
    const long = Buffer.concat([png.subarray(0, 33), chunk('IDAT', deflateSync(Buffer.concat([raw, Buffer.alloc(1 << 20)]))), chunk('IEND', new Uint8Array(0))]);
    expect(leftMessage(decodePng(long, 'long.png'))).toMatch(/^long\.png: expected image data inflating to 20 bytes \(from the 4×4 header\), found more$/);
  });

  it('our PNGs carry the Software tag; other PNGs do not; the tag does not change the pixels', () => {
    const img = Uint8Array.from({ length: 4 }, (_, i) => i % 2);
    const ours = encodePngGrid([img], { height: 2, width: 2, channels: 1, levels: 2 });
    expect(writtenByPixelstreams(ours)).toBe(true);
    expect(writtenByPixelstreams(pngFile(2, 2, 0))).toBe(false);
    expect(Array.from(right(decodePng(ours, 'ours.png')).pixels)).toEqual([0, 255, 0, 255]);
  });
});
