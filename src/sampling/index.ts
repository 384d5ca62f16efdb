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
  SamplingOrder,
} from './types.js';
export { naiveSampler } from './naive.js';
export { resolveSampleOptions } from './options.js';
export { samplingSteps, sampleAll, imageRng, samplerFor, samplingOrderOf } from './session.js';
export { rasterOrder, rankOf } from './order.js';
export {
  compareSamplers,
  cachedMatchesNaive,
  cachedSamplerAgrees,
  laggedSampler,
  type EquivalenceOptions,
  type EquivalenceReport,
} from './equivalence.js';
export { renderLive, type LiveProgress, type LiveViewOptions } from './liveView.js';
