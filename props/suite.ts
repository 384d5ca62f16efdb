// Every law with the setup it needs (kind of weights, image shapes it can run on, options), and
// `checkAll` for a user's single model.

import * as E from 'fp-ts/lib/Either.js';
import type { AutoregressiveModel } from '../src/model.js';
import type { ShapeConstraints } from './arbitraries.js';
import {
  checkCausality,
  checkChannelOrder,
  checkDeterminism,
  checkFullPast,
  checkNormalisation,
  checkSamplerAgreement,
  randomImages,
  type CheckableModel,
} from './check.js';
import { referenceFieldOf } from './field.js';
import { upperHalfImages, type WeightKind } from './models.js';
import { checkLabelDependence, withLabel } from './conditioning.js';
import type { ModelLaw } from './runner.js';
import type { Sampler } from './sampler.js';
import { valuesPerImage, type CheckResult, type LawName, type ModelLawName } from './types.js';

export interface LawSetup {
  /** Weights the law needs to be meaningful ('positive': a missing dependence cannot hide). */
  readonly weights: WeightKind;
  /** Image shapes the law can run on (e.g. enumerable ones). */
  readonly constraints: ShapeConstraints;
  readonly check: ModelLaw;
}

/** How the test suite runs each law on models drawn from the arbitraries. */
export const lawSetups = (sampler?: Sampler): Record<ModelLawName, LawSetup> => ({
  causality: {
    weights: 'positive',
    constraints: {},
    check: (m) => checkCausality(m, { images: [...upperHalfImages(m.spec, 1, 5), ...randomImages(m, 1, 5)], seed: 1 }),
  },
  'channel-order': {
    weights: 'positive',
    constraints: { maxHeight: 5, maxWidth: 5 },
    check: (m) => checkChannelOrder(m, { images: upperHalfImages(m.spec, 1, 7), method: 'gradient' }),
  },
  'full-past': {
    weights: 'positive',
    constraints: {},
    check: (m) => checkFullPast(m, { images: upperHalfImages(m.spec, 1, 9), method: 'gradient' }),
  },
  normalisation: { weights: 'signed', constraints: { maxImages: 4096 }, check: (m) => checkNormalisation(m) },
  'sampler-agreement': {
    weights: 'signed',
    constraints: { maxImages: 64 },
    check: (m) => checkSamplerAgreement(m, { samples: 2000, seed: 5, alpha: 1e-4, ...(sampler ? { sampler } : {}) }),
  },
  determinism: {
    weights: 'signed',
    constraints: { maxHeight: 4, maxWidth: 4 },
    check: (m) => checkDeterminism(m, { samples: 8, seed: 3, ...(sampler ? { sampler } : {}) }),
  },
});

export interface CheckAllOptions {
  readonly sampler?: Sampler;
  readonly seed?: number;
  /** Enumerate images for normalisation / sampler agreement up to this many (default 4096 / 256). */
  readonly maxImages?: number;
  readonly maxSamplerImages?: number;
}

export type CheckAllReport = Partial<Record<LawName, CheckResult>>;

/**
 * Run every law that applies to one model: causality and channel order always; full past when its
 * family has a reference field; normalisation and sampler agreement when its images can be
 * enumerated; determinism always. The model is used as given (for full past and channel order,
 * give it weights where no unit is always off, e.g. props/models.ts genericModel 'positive').
 */
export const checkAll = async (model: CheckableModel | AutoregressiveModel, o: CheckAllOptions = {}): Promise<CheckAllReport> => {
  const classes = (model as CheckableModel).fixedLabel === undefined ? (model.spec.classes ?? 0) : 0;
  if (classes > 0) return checkEveryLabel(model, classes, o);
  const seed = o.seed ?? 0;
  const count = Math.pow(model.spec.levels, valuesPerImage(model.spec));
  const report: CheckAllReport = {
    causality: checkCausality(model, { seed }),
    'channel-order': checkChannelOrder(model, { seed }),
  };
  if (referenceFieldOf(model.spec)) report['full-past'] = checkFullPast(model, { seed });
  if (count <= (o.maxImages ?? 4096)) report.normalisation = checkNormalisation(model);
  if (count <= (o.maxSamplerImages ?? 256))
    report['sampler-agreement'] = await checkSamplerAgreement(model, { seed, ...(o.sampler ? { sampler: o.sampler } : {}) });
  report.determinism = await checkDeterminism(model, { seed, ...(o.sampler ? { sampler: o.sampler } : {}) });
  return report;
};

/**
 * A class-conditional model: every law for each of the first labels (up to `maxLabels`, default 3),
 * a failure naming its label, and the label-dependence law.
 */
const checkEveryLabel = async (model: AutoregressiveModel, classes: number, o: CheckAllOptions & { maxLabels?: number }): Promise<CheckAllReport> => {
  const report: Record<string, CheckResult> = {};
  for (let label = 0; label < Math.min(classes, o.maxLabels ?? 3); label++)
    for (const [law, r] of Object.entries(await checkAll(withLabel(model, label), o)))
      if (!report[law] || (E.isRight(report[law]!) && E.isLeft(r!)))
        report[law] = E.isLeft(r!) ? E.left({ ...r.left, message: `label ${label}: ${r.left.message}` }) : r!;
  report['label-dependence'] = checkLabelDependence(model, { seed: o.seed ?? 0 });
  return report as CheckAllReport;
};

/** The failures of a report, one line each ([] when every law held). */
export const failures = (r: CheckAllReport): string[] =>
  Object.entries(r).flatMap(([law, res]) => (res && E.isLeft(res) ? [`${law}: ${res.left.message}`] : []));
