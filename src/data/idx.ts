// MNIST IDX files (http://yann.lecun.com/exdb/mnist/): big-endian u32 magic and dimensions, then
// unsigned bytes. Images: magic 0x00000803, n, rows, cols. Labels: magic 0x00000801, n.
// Raw or gzipped (detected by the gzip magic bytes). Decoders are pure on bytes.

import * as E from 'fp-ts/lib/Either.js';
import { fileError } from './errors.js';
import { gunzipIfNeeded, gunzipPrefix, isGzip, readNamed, type NamedBuffer } from './files.js';
import { LIMITS } from './limits.js';
import type { ImageRecord, ImageSet } from './records.js';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxImages {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** count × height × width bytes. */
  readonly pixels: Uint8Array;
}

const u32 = (d: Uint8Array, at: number): number =>
  ((d[at]! << 24) | (d[at + 1]! << 16) | (d[at + 2]! << 8) | d[at + 3]!) >>> 0;

const hex32 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

const magicHint = (m: number): string =>
  m === IDX_LABELS_MAGIC ? ' (an IDX label file)' : m === IDX_IMAGES_MAGIC ? ' (an IDX image file)' : '';

const lengthFound = (actual: number, expected: number): string =>
  `${actual} bytes (${actual < expected ? 'truncated' : 'trailing bytes'})`;

/**
 * The bytes of an IDX file after gunzip, inflating no more than its header declares: the header is
 * read from the start of the stream first, and the whole is inflated with that size as its bound
 * (a header claiming more than the decoded-bytes limit is an error before anything is inflated).
 */
const inflateIdx = (
  src: NamedBuffer,
  headerBytes: number,
  magic: number,
  declared: (header: Uint8Array) => number,
): E.Either<Error, NamedBuffer> => {
  if (!isGzip(src.data)) return E.right(src);
  const head = gunzipPrefix(src.data, headerBytes);
  if (head.length < headerBytes) return gunzipIfNeeded(src, LIMITS.decodedBytes); // tiny or broken: the checks below name it
  if (u32(head, 0) !== magic) return E.right({ file: src.file, data: head }); // the magic check names it
  const size = declared(head);
  if (size > LIMITS.decodedBytes)
    return E.left(fileError(src.file, `a header declaring at most ${LIMITS.decodedBytes} bytes (the decoded-data limit)`, `${size} bytes declared`));
  return gunzipIfNeeded(src, size);
};

const declaredImageBytes = (d: Uint8Array): number => 16 + u32(d, 4) * u32(d, 8) * u32(d, 12);

/** Decode an IDX image file (idx3-ubyte, raw or .gz). */
export const decodeIdxImages = (src: NamedBuffer): E.Either<Error, IdxImages> => {
  const r = inflateIdx(src, 16, IDX_IMAGES_MAGIC, declaredImageBytes);
  if (E.isLeft(r)) return r;
  const { file, data } = r.right;
  if (data.length < 16)
    return E.left(fileError(file, 'an IDX image file with a 16-byte header', `${data.length} bytes`));
  const magic = u32(data, 0);
  if (magic !== IDX_IMAGES_MAGIC)
    return E.left(fileError(file, `IDX image magic ${hex32(IDX_IMAGES_MAGIC)}`, `${hex32(magic)}${magicHint(magic)}`));
  const count = u32(data, 4);
  const height = u32(data, 8);
  const width = u32(data, 12);
  if (height === 0 || width === 0)
    return E.left(fileError(file, 'image dimensions ≥ 1', `${height}×${width}`));
  const expected = 16 + count * height * width;
  if (expected > LIMITS.decodedBytes + 16)
    return E.left(fileError(file, `at most ${LIMITS.decodedBytes} bytes of images (the decoded-data limit)`, `a header declaring ${count}×${height}×${width}`));
  if (data.length !== expected)
    return E.left(
      fileError(file, `${expected} bytes (16-byte header + ${count}×${height}×${width})`, lengthFound(data.length, expected)),
    );
  return E.right({ count, height, width, pixels: data.subarray(16) });
};

/** Decode an IDX label file (idx1-ubyte, raw or .gz). */
export const decodeIdxLabels = (src: NamedBuffer): E.Either<Error, Uint8Array> => {
  const r = inflateIdx(src, 8, IDX_LABELS_MAGIC, (d) => 8 + u32(d, 4));
  if (E.isLeft(r)) return r;
  const { file, data } = r.right;
  if (data.length < 8)
    return E.left(fileError(file, 'an IDX label file with an 8-byte header', `${data.length} bytes`));
  const magic = u32(data, 0);
  if (magic !== IDX_LABELS_MAGIC)
    return E.left(fileError(file, `IDX label magic ${hex32(IDX_LABELS_MAGIC)}`, `${hex32(magic)}${magicHint(magic)}`));
  const count = u32(data, 4);
  const expected = 8 + count;
  if (data.length !== expected)
    return E.left(fileError(file, `${expected} bytes (8-byte header + ${count} labels)`, lengthFound(data.length, expected)));
  return E.right(data.subarray(8));
};

/** Images (and optionally labels) → an 8-bit greyscale ImageSet (levels 256, C = 1). */
export const decodeMnistIdx = (
  images: NamedBuffer,
  labels?: NamedBuffer,
  name: string = images.file,
): E.Either<Error, ImageSet> => {
  const im = decodeIdxImages(images);
  if (E.isLeft(im)) return im;
  const { count, height, width, pixels } = im.right;
  let labelBytes: Uint8Array | undefined;
  if (labels) {
    const lb = decodeIdxLabels(labels);
    if (E.isLeft(lb)) return lb;
    if (lb.right.length !== count)
      return E.left(fileError(labels.file, `${count} labels (one per image in ${images.file})`, `${lb.right.length} labels`));
    labelBytes = lb.right;
  }
  const size = height * width;
  const records: ImageRecord[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const px = new Uint8Array(pixels.buffer, pixels.byteOffset + i * size, size);
    records[i] = labelBytes ? { pixels: px, label: labelBytes[i]!, index: i } : { pixels: px, index: i };
  }
  return E.right({ name, shape: { height, width, channels: 1, levels: 256 }, records });
};

/** Read and decode MNIST IDX files from disk (edge). */
export const readMnistIdx = async (imagesFile: string, labelsFile?: string): Promise<E.Either<Error, ImageSet>> => {
  const im = await readNamed(imagesFile);
  if (E.isLeft(im)) return im;
  if (labelsFile === undefined) return decodeMnistIdx(im.right);
  const lb = await readNamed(labelsFile);
  if (E.isLeft(lb)) return lb;
  return decodeMnistIdx(im.right, lb.right);
};
