// pixelstreams — the public API.
//
// Core (src/): masks, masked convolutions, model families behind one AutoregressiveModel interface,
// likelihoods, optimizers, training steps, checkpoints, data decoders — pure functions, no RxJS.
// Streams (streams/): one RxJS operator or source per file. Pipelines (pipelines/): the composed
// programs the CLI runs. Props (props/): the property library for causality and friends.

export { tf } from './src/tf.js';
export { selectBackend, currentBackend, BACKENDS, type BackendInfo, type BackendName } from './src/backend.js';
export * from './src/masks.js';
export { maskedConv, denseKernel, convLayout, defaultConvImpl, type ConvImpl, type MaskedConvSpec } from './src/layers/maskedConv.js';
export { nllOf, logProbsOf, type AutoregressiveModel, type ModelFamily, type BaseSpec, type ImageShape, type ForwardOptions, type Preset } from './src/model.js';
export {
  decodeSpec, bindModel, initModel, familyOf, familyOrNull, families, familyNames, registerFamily, presets, presetFor, presetNames,
  type ModelSpec,
} from './src/models/registry.js';
export { pixelCnn, type PixelCnnSpec } from './src/models/pixelcnn/index.js';
export { rowLstm, type RowLstmSpec } from './src/models/rowLstm/index.js';
export { diagonalBiLstm, type DiagonalBiLstmSpec } from './src/models/diagonalBiLstm/index.js';
export { multiscale, type MultiscaleSpec } from './src/models/multiscale/index.js';
export { gatedPixelCnn, type GatedPixelCnnSpec } from './src/models/gatedPixelCnn/index.js';
export { strictType, baseSpecFields } from './src/models/spec.js';
export {
  bernoulli, categorical, logisticMixture, bitsPerDim, dimensions, defaultLikelihood, likelihoodFor, likelihoodKinds, registerLikelihood,
  LikelihoodSpecCodec, type Draw, type Likelihood, type LikelihoodKind, type LikelihoodSpec,
} from './src/likelihoods/index.js';
export type { Dependence } from './src/receptiveField.js';
export { defaultOptimizer, applyGradients, initSlots, type OptimizerConfig } from './src/train/optimizers.js';
export { scheduleFactor, PAPER_LR_DECAY, SCHEDULE_KINDS, type LrSchedule, type ScheduleKind } from './src/train/schedule.js';
export { emaDecayAt, PAPER_EMA_DECAY, type EmaConfig } from './src/train/ema.js';
export { initTrainState, trainStep, applyStep, lossAndGradients, NonFiniteError, disposeAll, type TrainState, type StepMetrics } from './src/train/step.js';
export { localEngine, type GradientEngine } from './src/train/engine.js';
export * from './src/checkpoint/checkpoint.js';
export { writeFileAtomic } from './src/fsAtomic.js';
export * from './src/data/index.js';
export { Rng, permutation, seedState } from './src/rng.js';
export type { SampleEvent, SampleOptions, IncrementalSampler, SamplerFactory, SamplingOrder } from './src/sampling/types.js';
export { naiveSampler } from './src/sampling/naive.js';
export { rasterOrder } from './src/sampling/order.js';
export { samplingSteps, samplerFor } from './src/sampling/session.js';
export { renderLive } from './src/sampling/liveView.js';

export { fromImageSet } from './streams/fromImageSet.js';
export { shuffle } from './streams/shuffle.js';
export { batch } from './streams/batch.js';
export { toTensor, type TensorBatch } from './streams/toTensor.js';
export { epochs, type EpochsOptions } from './streams/epochs.js';
export { train, type TrainEvent, type TrainOptions } from './streams/train.js';
export { evaluate, batchNll, type EvalProgress } from './streams/evaluate.js';
export { checkpointEvery } from './streams/checkpointEvery.js';
export { progress } from './streams/progress.js';
export { sample, completeImages, sampleImages, sampleAsync } from './streams/sample.js';

export { readSource, binarization, DATA_HELP } from './pipelines/data.js';
export { prepareData, runTraining } from './pipelines/train.js';
export { evaluateSet, evaluationStream } from './pipelines/evaluate.js';
export { collectSamples, writeGrid } from './pipelines/sample.js';
export { decodeRunConfig, RunConfigCodec, type RunConfig } from './pipelines/config.js';
