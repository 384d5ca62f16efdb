// Runners: measure a model, apply a law, return Either<Counterexample, Summary>.
//
//   checkCausality(model)        gradient and perturbation: nothing at or after (i, j, c) moves its distribution
//   checkChannelOrder(model)     R sees no channel of its pixel, G sees R, B sees R and G
//   checkFullPast(model)         the dependence set equals the family's reference receptive field
//   checkNormalisation(model)    Σ over every image of p(x) = 1 (tiny images)
//   checkSamplerAgreement(model) samples are distributed as the likelihood says (tiny images, χ²)
//   checkDeterminism(model)      same seed, same samples

import * as E from 'fp-ts/lib/Either.js';
import { nllOf, type AutoregressiveModel } from '../src/model.js';
import { Rng } from '../src/rng.js';
import { tf, type Tensor1D, type Tensor4D } from '../src/tf.js';
import { gradientDependence, perturbationDependence, type Measured } from './dependence.js';
import { referenceFieldOf, type Dependence } from './field.js';
import { orderOf } from './order.js';
import { causalityLaw, channelOrderLaw, determinismLaw, fullPastLaw, normalisationLaw, samplerAgreementLaw } from './laws.js';
import { referenceSampler, type Sampler } from './sampler.js';
import { valuesPerImage, type CheckResult } from './types.js';

/** A model under test; `logProb` overrides the model's own likelihood (−NLL of its head) when given. */
export interface CheckableModel extends AutoregressiveModel {
  /** log p(x) per image in nats: [B]. */
  logProb?(x: Tensor4D): Tensor1D;
  /** A class-conditional model seen with one label (props/conditioning.ts withLabel): samplers pass it. */
  readonly fixedLabel?: number;
}

export interface DependenceOptions {
  /** Images to measure at: a count of seeded random images (default 3), or the images themselves. */
  readonly images?: number | readonly (readonly number[])[];
  readonly seed?: number;
  /** 'gradient', 'perturbation' or 'both' (default). */
  readonly method?: 'gradient' | 'perturbation' | 'both';
  /** |gradient| above this is a dependence (default 0: exactly zero required). */
  readonly gradientTolerance?: number;
  /** |Δlogit| above this·(1 + |logit|) is a dependence (default 1e-5). */
  readonly perturbationTolerance?: number;
  /** Rank of every value in the autoregressive order (default: the family's, props/order.ts). */
  readonly order?: Int32Array;
}

/** Seeded random images of the model's shape (flat levels). */
export const randomImages = (model: AutoregressiveModel, count: number, seed: number): number[][] => {
  const rng = Rng.fromSeed(seed, 23);
  const n = valuesPerImage(model.spec);
  return Array.from({ length: count }, () => Array.from({ length: n }, () => rng.int(model.spec.levels)));
};

const imagesFor = (model: AutoregressiveModel, o: DependenceOptions): readonly (readonly number[])[] =>
  typeof o.images === 'object' ? o.images : randomImages(model, o.images ?? 3, o.seed ?? 0);

/** Union of two measurements; perturbation evidence (with its witness) is kept where it exists. */
const union = (g: Measured, p: Measured): Measured => {
  const n2 = g.magnitude.length;
  const has = new Uint8Array(n2);
  const magnitude = new Float32Array(n2);
  const image = new Int32Array(n2).fill(-1);
  const to = new Int32Array(n2).fill(-1);
  for (let k = 0; k < n2; k++) {
    has[k] = g.dependence.has[k]! | p.dependence.has[k]!;
    if (p.dependence.has[k]) {
      magnitude[k] = p.magnitude[k]!;
      image[k] = p.witness!.image[k]!;
      to[k] = p.witness!.to[k]!;
    } else magnitude[k] = g.magnitude[k]!;
  }
  return { dependence: { size: g.dependence.size, has }, magnitude, witness: { image, to } };
};

/** What the model's logits depend on, by the chosen method(s), over the chosen images. */
export const measureDependence = (model: AutoregressiveModel, o: DependenceOptions = {}): Measured => {
  const images = imagesFor(model, o);
  const method = o.method ?? 'both';
  const g = method !== 'perturbation' ? gradientDependence(model, images, { tolerance: o.gradientTolerance, seed: o.seed }) : null;
  const p = method !== 'gradient' ? perturbationDependence(model, images, { tolerance: o.perturbationTolerance, seed: o.seed }) : null;
  return g && p ? union(g, p) : (g ?? p)!;
};

/** Causality, by gradient and/or by perturbation (gradient first). */
export const checkCausality = (model: AutoregressiveModel, o: DependenceOptions = {}): CheckResult => {
  const images = imagesFor(model, o);
  const rank = o.order ?? orderOf(model.spec);
  const method = o.method ?? 'both';
  const gradient = method === 'perturbation' ? null : gradientDependence(model, images, { tolerance: o.gradientTolerance, seed: o.seed });
  const byGradient = gradient ? causalityLaw(model.spec, gradient, images, 'gradient', rank) : null;
  if (byGradient && E.isLeft(byGradient)) return byGradient;
  if (method === 'gradient') return byGradient!;
  const perturbation = perturbationDependence(model, images, { tolerance: o.perturbationTolerance, seed: o.seed });
  const byPerturbation = causalityLaw(model.spec, perturbation, images, 'perturbation', rank);
  if (E.isLeft(byPerturbation) || !byGradient || E.isLeft(byGradient)) return byPerturbation;
  // A gradient that is zero everywhere while the logits do move proves nothing: say so.
  if (gradient && !gradient.dependence.has.includes(1) && perturbation.dependence.has.includes(1))
    return E.left({
      law: 'causality',
      message:
        'no gradient flows into the input x although the logits depend on it: the gradient check is blind ' +
        '(build the model with ForwardOptions inputGradient: true, e.g. props genericModel, or use method: "perturbation")',
    });
  return E.right({
    law: 'causality',
    checks: byGradient.right.checks + byPerturbation.right.checks,
    details: { how: 'gradient+perturbation', values: valuesPerImage(model.spec), images: images.length },
  });
};

/** Channel ordering within every pixel, on the union of gradient and perturbation dependence. */
export const checkChannelOrder = (model: AutoregressiveModel, o: DependenceOptions = {}): CheckResult =>
  channelOrderLaw(model.spec, measureDependence(model, o), imagesFor(model, o));

export interface FullPastOptions extends DependenceOptions {
  /** The receptive field expected; default: the family's registered reference (props/field.ts). */
  readonly reference?: Dependence;
}

/** The dependence set equals the reference receptive field: nothing outside it, nothing of it missing. */
export const checkFullPast = (model: AutoregressiveModel, o: FullPastOptions = {}): CheckResult => {
  const reference = o.reference ?? referenceFieldOf(model.spec);
  if (!reference)
    return E.left({
      law: 'full-past',
      message: `no reference receptive field for family '${model.spec.family}': give the family a referenceField (src/models/<family>/) or pass options.reference`,
    });
  return fullPastLaw(model.spec, measureDependence(model, o), reference, imagesFor(model, o));
};

/** Every image of the shape, as flat levels, in counting order (the last value fastest). */
export const allImages = (s: { height: number; width: number; channels: number; levels: number }, max = 1 << 16): number[][] => {
  const n = s.height * s.width * s.channels;
  const count = Math.pow(s.levels, n);
  if (count > max) throw new Error(`props/check.ts allImages: ${s.levels}^${n} = ${count} images, expected at most ${max}`);
  return Array.from({ length: count }, (_, k) => {
    const im = new Array<number>(n);
    let r = k;
    for (let q = n - 1; q >= 0; q--) {
      im[q] = r % s.levels;
      r = Math.floor(r / s.levels);
    }
    return im;
  });
};

/** log p(x) for a batch of flat images, read back (chunks of `chunk` images). */
export const logProbabilities = (model: CheckableModel, images: readonly (readonly number[])[], chunk = 4096): Float64Array => {
  const { height: H, width: W, channels: C } = model.spec;
  const n = valuesPerImage(model.spec);
  const out = new Float64Array(images.length);
  for (let start = 0; start < images.length; start += chunk) {
    const b = Math.min(chunk, images.length - start);
    const xs = new Float32Array(b * n);
    for (let r = 0; r < b; r++) xs.set(images[start + r]!, r * n);
    const t = tf.tidy(() => {
      const x = tf.tensor4d(xs, [b, H, W, C]); //                               [b, H, W, C]
      return model.logProb ? model.logProb(x) : tf.neg(nllOf(model, x)); // [b]
    });
    out.set(t.dataSync(), start);
    t.dispose();
  }
  return out;
};

export interface NormalisationOptions {
  /** |Σ p(x) − 1| allowed (default 1e-4). */
  readonly tolerance?: number;
  /** Refuse shapes with more images than this (default 65536). */
  readonly maxImages?: number;
}

/** Σ over every possible image of p(x) = 1: only for tiny shapes (K^(H·W·C) ≤ maxImages). */
export const checkNormalisation = (model: CheckableModel, o: NormalisationOptions = {}): CheckResult => {
  const max = o.maxImages ?? 1 << 16;
  const count = Math.pow(model.spec.levels, valuesPerImage(model.spec));
  if (count > max)
    return E.left({
      law: 'normalisation',
      message: `cannot enumerate ${count} images (K^(H·W·C)), expected at most ${max}: check a smaller spec`,
    });
  return normalisationLaw(logProbabilities(model, allImages(model.spec, max)), o.tolerance ?? 1e-4);
};

export interface SamplerOptions {
  /** The sampler under test (default: the reference sampler in props/sampler.ts). */
  readonly sampler?: Sampler;
  /** Number of samples (default 2000). */
  readonly samples?: number;
  readonly seed?: number;
  /** False-alarm rate of the χ² test for a correct sampler (default 1e-3). */
  readonly alpha?: number;
  readonly maxImages?: number;
}

/** Index of a flat image in allImages order. */
const imageIndex = (levels: number, image: ArrayLike<number>): number => {
  let k = 0;
  for (let q = 0; q < image.length; q++) k = k * levels + image[q]!;
  return k;
};

/** The sampler at temperature 1 draws from the distribution the likelihood scores: χ² over every image. */
export const checkSamplerAgreement = async (model: CheckableModel, o: SamplerOptions = {}): Promise<CheckResult> => {
  const max = o.maxImages ?? 4096;
  const count = Math.pow(model.spec.levels, valuesPerImage(model.spec));
  if (count > max)
    return E.left({
      law: 'sampler-agreement',
      message: `cannot enumerate ${count} images (K^(H·W·C)), expected at most ${max}: check a smaller spec`,
    });
  const logProbs = logProbabilities(model, allImages(model.spec, max));
  const probabilities = logProbs.map(Math.exp);
  const samples = await (o.sampler ?? referenceSampler)(model, o.samples ?? 2000, o.seed ?? 0);
  const counts = new Float64Array(count);
  for (const im of samples) counts[imageIndex(model.spec.levels, im)]! += 1;
  return samplerAgreementLaw(probabilities, counts, o.alpha ?? 1e-3);
};

export interface DeterminismOptions {
  readonly sampler?: Sampler;
  /** Images per run (default 4). */
  readonly samples?: number;
  readonly seed?: number;
}

/** Two runs of the sampler with the same seed give the same images. */
export const checkDeterminism = async (model: AutoregressiveModel, o: DeterminismOptions = {}): Promise<CheckResult> => {
  const sampler = o.sampler ?? referenceSampler;
  const count = o.samples ?? 4;
  const seed = o.seed ?? 0;
  const flat = (ims: readonly ArrayLike<number>[]) => ims.flatMap((im) => Array.from(im));
  const a = flat(await sampler(model, count, seed));
  const b = flat(await sampler(model, count, seed));
  return determinismLaw(model.spec, a, b);
};
