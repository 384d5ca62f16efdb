// Public sampling API (pure cores; the Observable source is streams/sample.ts).
export type {
  IncrementalSampler,
  SamplerFactory,
  SampleOptions,
  ResolvedSampleOptions,
  SampleEvent,
  ValueEvent,
  RowEvent,
  ImageEvent,
} from './types.js';
export { naiveSampler } from './naive.js';
export { cachedPixelCnnSampler } from './cachedPixelCnn.js';
export { cachedPixelRnnSampler, cachedPixelRnn, type CachedPixelRnnOptions } from './cachedPixelRnn.js';
export { multiscaleSteps, smallSampler, conditionalSampler } from './multiscale.js';
export { registerCachedSampler, cachedSamplerFor, samplerFactory, makeSampler, samplingStepsFor } from './registry.js';
export { resolveSampleOptions } from './options.js';
export { samplingSteps, sampleAll, imageRng } from './session.js';
export { drawValue, type Draw } from './draw.js';
export {
  compareSamplers,
  cachedMatchesNaive,
  cachedSamplerAgrees,
  laggedSampler,
  type EquivalenceOptions,
  type EquivalenceReport,
} from './equivalence.js';
export { renderLive, type LiveProgress, type LiveViewOptions } from './liveView.js';
