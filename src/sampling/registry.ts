// Which incremental sampler runs for a model: the family's cached one when registered (and asked
// for), otherwise the naive rerun-everything sampler, which works for every family.

import type { AutoregressiveModel } from '../model.js';
import { cachedPixelCnnSampler } from './cachedPixelCnn.js';
import { naiveSampler } from './naive.js';
import type { IncrementalSampler, SamplerFactory } from './types.js';

const cachedByFamily = new Map<string, SamplerFactory>([['pixelcnn', cachedPixelCnnSampler]]);

/** Plug in a family's cached sampler (e.g. Row LSTM carrying its state row by row). */
export const registerCachedSampler = (family: string, factory: SamplerFactory): void => {
  cachedByFamily.set(family, factory);
};

export const cachedSamplerFor = (family: string): SamplerFactory | undefined => cachedByFamily.get(family);

export const samplerFactory = (family: string, cached: boolean): SamplerFactory =>
  (cached ? cachedByFamily.get(family) : undefined) ?? naiveSampler;

export const makeSampler = (model: AutoregressiveModel, batch: number, cached = true): IncrementalSampler =>
  samplerFactory(model.spec.family, cached)(model, batch);
