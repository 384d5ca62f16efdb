// CIFAR-10 binary batches (https://www.cs.toronto.edu/~kriz/cifar.html): per record a label byte
// (0..9), then 1024 R, 1024 G, 1024 B values (32×32, row-major). We convert to H, W, C order.
// Several files are concatenated in the order given. Decoders are pure on bytes.

import * as E from 'fp-ts/lib/Either.js';
import { fileError } from './errors.js';
import { readAllNamed, type NamedBuffer } from './files.js';
import type { ImageRecord, ImageSet } from './records.js';

export const CIFAR_SIDE = 32;
export const CIFAR_RECORD_BYTES = 1 + 3 * CIFAR_SIDE * CIFAR_SIDE; // 3073

/** CIFAR-10's classes, by label. */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** Planar (label, R plane, G plane, B plane) → interleaved H, W, C. */
const toHwc = (data: Uint8Array, at: number): Uint8Array => {
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  const out = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    out[3 * p] = data[at + p]!;
    out[3 * p + 1] = data[at + plane + p]!;
    out[3 * p + 2] = data[at + 2 * plane + p]!;
  }
  return out;
};

/** Decode one or more CIFAR-10 binary batch files into one ImageSet (32×32×3, levels 256). */
export const decodeCifar10 = (files: readonly NamedBuffer[], name?: string): E.Either<Error, ImageSet> => {
  if (files.length === 0) return E.left(new Error('CIFAR-10: expected at least one batch file, found none'));
  const records: ImageRecord[] = [];
  for (const { file, data } of files) {
    if (data.length === 0 || data.length % CIFAR_RECORD_BYTES !== 0) {
      const hint = data.length % 3074 === 0 && data.length > 0 ? ' (3074-byte records: CIFAR-100?)' : '';
      return E.left(
        fileError(
          file,
          `a positive multiple of ${CIFAR_RECORD_BYTES} bytes (label + 3×32×32 per record)`,
          `${data.length} bytes = ${Math.floor(data.length / CIFAR_RECORD_BYTES)} records + ${data.length % CIFAR_RECORD_BYTES} bytes${hint}`,
        ),
      );
    }
    const n = data.length / CIFAR_RECORD_BYTES;
    for (let r = 0; r < n; r++) {
      const at = r * CIFAR_RECORD_BYTES;
      const label = data[at]!;
      if (label > 9) return E.left(fileError(file, `a label 0..9 at record ${r} (byte ${at})`, `${label}`));
      records.push({ pixels: toHwc(data, at + 1), label, index: records.length });
    }
  }
  return E.right({
    name: name ?? files.map((f) => f.file).join('+'),
    shape: { height: CIFAR_SIDE, width: CIFAR_SIDE, channels: 3, levels: 256 },
    records,
    classNames: CIFAR10_CLASSES,
  });
};

/** Read and decode CIFAR-10 batch files from disk (edge). */
export const readCifar10 = async (files: readonly string[], name?: string): Promise<E.Either<Error, ImageSet>> => {
  const r = await readAllNamed(files);
  return E.isLeft(r) ? r : decodeCifar10(r.right, name);
};
