// PNG in and out (pngjs, sync API). Decoding: 8-bit (or lower) greyscale → C = 1; RGB, RGBA and
// palette → C = 3 (alpha is dropped, not composited). 16-bit PNGs are rejected with an error (we
// do not silently throw away half of every sample). Encoding: a grid of images with a 1-px
// separator, levels 0..K-1 mapped linearly to 0..255.

import * as E from 'fp-ts/lib/Either.js';
import pngjs from 'pngjs';
import type { ImageShape } from '../model.js';
import { fileError } from './errors.js';
import { hexBytes } from './files.js';

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

/** Decode one PNG file's bytes; `file` names it in errors. Pure. */
export const decodePng = (buffer: Uint8Array, file: string): E.Either<Error, DecodedPng> => {
  if (buffer.length < 8 || PNG_SIGNATURE.some((b, i) => buffer[i] !== b))
    return E.left(fileError(file, 'a PNG file (signature 89 50 4e 47 0d 0a 1a 0a)', `first bytes ${hexBytes(buffer, 8)}`));
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
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false });
};
