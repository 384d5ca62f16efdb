// PNG in and out (pngjs, sync API). Decoding: 8-bit (or lower) greyscale → C = 1; RGB, RGBA and
// palette → C = 3 (alpha is dropped, not composited). 16-bit PNGs are rejected with an error (we
// do not silently throw away half of every sample). Encoding: a grid of images with a 1-px
// separator, levels 0..K-1 mapped linearly to 0..255.

import * as E from 'fp-ts/lib/Either.js';
import { inflateSync } from 'node:zlib';
import pngjs from 'pngjs';
import type { ImageShape } from '../model.js';
import { fileError } from './errors.js';
import { hexBytes } from './files.js';
import { LIMITS } from './limits.js';

const { PNG } = pngjs;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface DecodedPng {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  /** height × width × channels bytes (0..255), H, W, C order. */
  readonly pixels: Uint8Array;
}

const colourName = (channels: 1 | 3): string => (channels === 1 ? 'greyscale' : 'RGB');

export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colorType: number;
  readonly interlaced: boolean;
  /** Bytes the image data must inflate to (filter bytes included), from the header alone. */
  readonly inflatedBytes: number;
}

const SAMPLES: Record<number, { channels: number; depths: readonly number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};

/** Bytes of filtered scanlines for a w × h (sub)image: one filter byte per row. */
const scanlineBytes = (w: number, h: number, bitsPerPixel: number): number =>
  w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8));

/** Adam7 passes: [x0, y0, dx, dy]. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

const corrupt = (file: string, why: string): E.Either<Error, never> => E.left(fileError(file, 'a valid PNG', `a corrupt PNG (${why})`));

const u32be = (d: Uint8Array, at: number): number => ((d[at]! << 24) | (d[at + 1]! << 16) | (d[at + 2]! << 8) | d[at + 3]!) >>> 0;

/**
 * Walk a PNG's chunks and check that it is complete and consistent with its header before anything
 * is allocated for its pixels: every chunk within the file, IHDR first with a valid colour type,
 * bit depth and size (width × height at most LIMITS.pngPixels), IDAT present, IEND last, and the
 * compressed image data inflating (bounded by what the header needs) to exactly the bytes the
 * header needs. pngjs alone accepts image data that ends early, and fills the missing rows with
 * zeros and uninitialised memory.
 */
export const inspectPng = (buffer: Uint8Array, file: string): E.Either<Error, PngHeader> => {
  if (buffer.length < 8 || PNG_SIGNATURE.some((b, i) => buffer[i] !== b))
    return E.left(fileError(file, 'a PNG file (signature 89 50 4e 47 0d 0a 1a 0a)', `first bytes ${hexBytes(buffer, 8)}`));
  let header: Omit<PngHeader, 'inflatedBytes'> | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  let off = 8;
  while (off < buffer.length && !ended) {
    if (off + 12 > buffer.length) return corrupt(file, `truncated: ${buffer.length - off} bytes at byte ${off}, not a whole chunk`);
    const len = u32be(buffer, off);
    const type = String.fromCharCode(...buffer.subarray(off + 4, off + 8));
    if (len > 0x7fffffff || off + 12 + len > buffer.length)
      return corrupt(file, `truncated: chunk ${JSON.stringify(type)} at byte ${off} declares ${len} bytes, ${Math.max(0, buffer.length - off - 12)} left`);
    const body = buffer.subarray(off + 8, off + 8 + len);
    if (!header) {
      if (type !== 'IHDR' || len !== 13) return E.left(fileError(file, 'an IHDR chunk of 13 bytes first', `${JSON.stringify(type)} of ${len} bytes`));
      const width = u32be(body, 0);
      const height = u32be(body, 4);
      const bitDepth = body[8]!;
      const colorType = body[9]!;
      const kind = SAMPLES[colorType];
      if (!kind) return E.left(fileError(file, 'colour type 0, 2, 3, 4 or 6 (IHDR)', `${colorType}`));
      if (!kind.depths.includes(bitDepth))
        return E.left(fileError(file, `bit depth ${kind.depths.join(' | ')} for colour type ${colorType} (IHDR)`, `${bitDepth}`));
      if (body[10] !== 0 || body[11] !== 0) return E.left(fileError(file, 'compression and filter method 0 (IHDR)', `${body[10]} and ${body[11]}`));
      if (body[12]! > 1) return E.left(fileError(file, 'interlace method 0 or 1 (IHDR)', `${body[12]}`));
      if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff)
        return E.left(fileError(file, 'a width and height in 1..2^31-1 (IHDR)', `${width}×${height}`));
      if (width * height > LIMITS.pngPixels)
        return E.left(fileError(file, `at most ${LIMITS.pngPixels} pixels (the PNG size limit)`, `${width}×${height} = ${width * height} declared`));
      header = { width, height, bitDepth, colorType, interlaced: body[12] === 1 };
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') ended = true;
    off += 12 + len;
  }
  if (!header) return E.left(fileError(file, 'an IHDR chunk', 'none'));
  if (idat.length === 0) return E.left(fileError(file, 'image data (IDAT chunks)', 'none'));
  if (!ended) return corrupt(file, 'truncated: no IEND chunk at the end');
  const bpp = SAMPLES[header.colorType]!.channels * header.bitDepth;
  const { width: w, height: h } = header;
  const inflatedBytes = header.interlaced
    ? ADAM7.reduce((a, [x0, y0, dx, dy]) => a + scanlineBytes(Math.ceil((w - x0) / dx), Math.ceil((h - y0) / dy), bpp), 0)
    : scanlineBytes(w, h, bpp);
  let inflated: Buffer;
  try {
    inflated = inflateSync(Buffer.concat(idat), { maxOutputLength: inflatedBytes });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      return E.left(fileError(file, `image data inflating to ${inflatedBytes} bytes (from the ${w}×${h} header)`, 'more'));
    return E.left(fileError(file, 'a valid PNG', `a corrupt PNG (image data: ${(e as Error).message})`));
  }
  if (inflated.length !== inflatedBytes)
    return corrupt(file, `the image data ends early: it inflates to ${inflated.length} bytes, the ${w}×${h} header needs ${inflatedBytes}`);
  return E.right({ ...header, inflatedBytes });
};

/** Decode one PNG file's bytes; `file` names it in errors. Pure. */
export const decodePng = (buffer: Uint8Array, file: string): E.Either<Error, DecodedPng> => {
  const inspected = inspectPng(buffer, file);
  if (E.isLeft(inspected)) return inspected;
  if (inspected.right.bitDepth > 8) return E.left(fileError(file, 'an 8-bit PNG (bit depth ≤ 8)', `bit depth ${inspected.right.bitDepth}`));
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength));
  } catch (e) {
    return E.left(fileError(file, 'a valid PNG', `a corrupt PNG (${(e as Error).message})`));
  }
  if (png.depth > 8) return E.left(fileError(file, 'an 8-bit PNG (bit depth ≤ 8)', `bit depth ${png.depth}`));
  const channels: 1 | 3 = png.color ? 3 : 1;
  const n = png.width * png.height;
  const rgba = png.data;
  const pixels = new Uint8Array(n * channels);
  if (channels === 1) for (let p = 0; p < n; p++) pixels[p] = rgba[4 * p]!;
  else
    for (let p = 0; p < n; p++) {
      pixels[3 * p] = rgba[4 * p]!;
      pixels[3 * p + 1] = rgba[4 * p + 1]!;
      pixels[3 * p + 2] = rgba[4 * p + 2]!;
    }
  return E.right({ height: png.height, width: png.width, channels, pixels });
};

/** Check a decoded PNG against an expected shape; the error names the file, expected and found. */
export const checkPngShape = (
  png: DecodedPng,
  file: string,
  expected: Pick<ImageShape, 'height' | 'width' | 'channels'>,
  like?: string,
): E.Either<Error, DecodedPng> => {
  const ref = like ? ` (like ${like})` : '';
  if (png.height !== expected.height || png.width !== expected.width)
    return E.left(
      fileError(file, `${expected.width}×${expected.height} pixels${ref}`, `${png.width}×${png.height}`),
    );
  if (png.channels !== expected.channels)
    return E.left(
      fileError(
        file,
        `${colourName(expected.channels as 1 | 3)}${ref}`,
        colourName(png.channels),
      ),
    );
  return E.right(png);
};

export interface PngGridOptions {
  /** Images per row (default: ceil(sqrt(n))). */
  readonly columns?: number;
  /** Integer upscaling factor per pixel (default 1). */
  readonly scale?: number;
  /** Levels K of the values (default shape.levels); level v is written as round(v·255/(K−1)). */
  readonly levels?: number;
  /** Grey value 0..255 of the 1-px separator lines and empty cells (default 128). */
  readonly separator?: number;
}

/**
 * Write images (each H, W, C levels) as one PNG grid: greyscale PNG for C = 1, RGB for C = 3.
 * Images are separated by 1-px lines (no outer border). Throws RangeError on inconsistent input
 * (a programming error, not bad data).
 */
export const encodePngGrid = (
  images: readonly Uint8Array[],
  shape: Pick<ImageShape, 'height' | 'width' | 'channels'> & { readonly levels?: number },
  options: PngGridOptions = {},
): Buffer => {
  const { height: h, width: w, channels: c } = shape;
  const levels = options.levels ?? shape.levels ?? 256;
  const scale = options.scale ?? 1;
  const n = images.length;
  const columns = Math.max(1, options.columns ?? Math.ceil(Math.sqrt(Math.max(1, n))));
  const sep = options.separator ?? 128;
  if (c !== 1 && c !== 3) throw new RangeError(`encodePngGrid: expected 1 or 3 channels, found ${c}`);
  if (!Number.isInteger(levels) || levels < 2) throw new RangeError(`encodePngGrid: expected levels ≥ 2, found ${levels}`);
  if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`encodePngGrid: expected an integer scale ≥ 1, found ${scale}`);
  images.forEach((im, i) => {
    if (im.length !== h * w * c)
      throw new RangeError(`encodePngGrid: image ${i}: expected ${h * w * c} values (${h}×${w}×${c}), found ${im.length}`);
  });
  const rows = Math.max(1, Math.ceil(n / columns));
  const cellW = w * scale;
  const cellH = h * scale;
  const W = columns * cellW + (columns - 1);
  const H = rows * cellH + (rows - 1);
  const out = Buffer.alloc(W * H * c, sep);
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.round((Math.min(v, levels - 1) * 255) / (levels - 1));
  images.forEach((im, i) => {
    const x0 = (i % columns) * (cellW + 1);
    const y0 = Math.floor(i / columns) * (cellH + 1);
    for (let y = 0; y < cellH; y++) {
      const sy = Math.floor(y / scale);
      for (let x = 0; x < cellW; x++) {
        const sx = Math.floor(x / scale);
        const src = (sy * w + sx) * c;
        const dst = ((y0 + y) * W + (x0 + x)) * c;
        for (let k = 0; k < c; k++) out[dst + k] = lut[im[src + k]!]!;
      }
    }
  });
  const png = new PNG({ width: W, height: H });
  png.data = out;
  const colorType = c === 1 ? 0 : 2;
  return withSoftwareTag(PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false }));
};

// ── Our PNGs say so: a tEXt chunk `Software: pixelstreams` after IHDR, so that a later run may
// replace a PNG it wrote and refuses to replace anyone else's. ──

const SOFTWARE_TAG = 'Software\0pixelstreams';

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes: Uint8Array): number => {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

const withSoftwareTag = (png: Buffer): Buffer => {
  const body = Buffer.from(`tEXt${SOFTWARE_TAG}`, 'latin1');
  const chunk = Buffer.alloc(body.length + 8);
  chunk.writeUInt32BE(body.length - 4, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(body), 4 + body.length);
  const afterIhdr = 8 + 12 + 13;
  return Buffer.concat([png.subarray(0, afterIhdr), chunk, png.subarray(afterIhdr)]);
};

/** Was this PNG written by pixelstreams (its tEXt chunk right after IHDR says so)? */
export const writtenByPixelstreams = (buffer: Uint8Array): boolean => {
  const at = 8 + 12 + 13;
  const tag = Buffer.from(`tEXt${SOFTWARE_TAG}`, 'latin1');
  return buffer.length >= at + 8 + tag.length && Buffer.from(buffer.subarray(at + 4, at + 4 + tag.length)).equals(tag);
};
