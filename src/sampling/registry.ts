// Which incremental sampler runs for a model: the family's cached one when registered (and asked
// for), otherwise the naive rerun-everything sampler, which works for every family.

import type { AutoregressiveModel } from '../model.js';
import { cachedPixelCnnSampler } from './cachedPixelCnn.js';
import { cachedPixelRnnSampler } from './cachedPixelRnn.js';
import { multiscaleSteps } from './multiscale.js';
import { naiveSampler } from './naive.js';
import { samplingSteps } from './session.js';
import type { IncrementalSampler, ResolvedSampleOptions, SampleEvent, SamplerFactory } from './types.js';

const cachedByFamily = new Map<string, SamplerFactory>([
  ['pixelcnn', cachedPixelCnnSampler],
  ['row-lstm', cachedPixelRnnSampler],
  ['diagonal-bilstm', cachedPixelRnnSampler],
]);

/** Plug in a family's cached sampler (e.g. Row LSTM carrying its state row by row). */
export const registerCachedSampler = (family: string, factory: SamplerFactory): void => {
  cachedByFamily.set(family, factory);
};

export const cachedSamplerFor = (family: string): SamplerFactory | undefined => cachedByFamily.get(family);

export const samplerFactory = (family: string, cached: boolean): SamplerFactory =>
  (cached ? cachedByFamily.get(family) : undefined) ?? naiveSampler;

export const makeSampler = (model: AutoregressiveModel, batch: number, cached = true): IncrementalSampler =>
  samplerFactory(model.spec.family, cached)(model, batch);

/**
 * The sampling loop for a model in its family's own order: an explicit `sampler` runs the raster loop
 * (session.ts); a 'multiscale' model samples its small image first (multiscale.ts); every other family
 * runs the raster loop with its cached (if `options.cached`) or naive sampler.
 */
export const samplingStepsFor = (
  model: AutoregressiveModel,
  options: ResolvedSampleOptions,
  sampler?: SamplerFactory,
): Generator<readonly SampleEvent[], void, undefined> =>
  sampler
    ? samplingSteps(model, options, sampler)
    : model.spec.family === 'multiscale'
      ? multiscaleSteps(model, options)
      : samplingSteps(model, options, samplerFactory(model.spec.family, options.cached));
