// Public API of data ingestion: pure decoders (Either<Error, ImageSet>), readers at the edge,
// binarization, split and the training order. RxJS sources/operators live in streams/.

export type { ImageRecord, ImageSet, RecordBatch } from './records.js';
export { fileError, formatValidationErrors } from './errors.js';
export { recordsToTensor } from './toTensor.js';
export { readNamed, readAllNamed, listFolder, gunzipIfNeeded, type NamedBuffer } from './files.js';
export {
  decodeIdxImages,
  decodeIdxLabels,
  decodeMnistIdx,
  readMnistIdx,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  type IdxImages,
} from './idx.js';
export { decodeCifar10, readCifar10, CIFAR_RECORD_BYTES, CIFAR_SIDE } from './cifar.js';
export { decodePng, checkPngShape, encodePngGrid, type DecodedPng, type PngGridOptions } from './png.js';
export { decodePngFiles, readPngFolder, sortFileNames, isPngName } from './pngFolder.js';
export { embeddedMnist, decodeEmbeddedMnist, embeddedMnistDir, MNIST_SIDE, type EmbeddedMnistOptions } from './mnistEmbedded.js';
export {
  officialMnist,
  binarizedMnistTest,
  officialMnistDir,
  officialMnistFiles,
  MNIST_TEST_BINARIZATION_SEED,
  MNIST_OFFICIAL_COUNTS,
  type MnistPart,
} from './mnistOfficial.js';
export {
  binarizeThreshold,
  binarizeStochastic,
  binarizationState,
  binarizeRecord,
  binarizeSet,
  stochasticBinarization,
  DEFAULT_THRESHOLD,
  type Binarization,
  type EpochTransform,
} from './binarize.js';
export { splitSet, validationCount, SPLIT_STREAM, type Split, type SplitOptions } from './split.js';
export {
  epochPlan,
  epochBatchAt,
  epochBatches,
  epochAtStep,
  permutationCache,
  type EpochPlan,
  type EpochPlanOptions,
} from './epochOrder.js';
