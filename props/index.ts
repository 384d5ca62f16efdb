// The property library (public API): prove causality, channel ordering, full use of the past,
// normalisation, sampler–likelihood agreement and determinism — for our models and for yours.
//
// The vitest helper `propertyTest` lives in props/vitest.ts (it imports vitest) and is not
// re-exported here.

export type { CheckResult, Counterexample, LawName, ModelLawName, Position, Summary } from './types.js';
export { flatIndex, positionOf, showPosition, valuesPerImage } from './types.js';

export {
  diagonalBiLstmSpecArb,
  familySpecArbs,
  imageArb,
  imageCount,
  imageShapeArb,
  modelCaseArb,
  modelSpecArb,
  multiscaleSpecArb,
  pixelCnnSpecArb,
  positionArb,
  recurrentBodyArb,
  rowLstmSpecArb,
  seedArb,
  type FamilySpecArb,
  type PixelCnnConstraints,
  type PixelRnnConstraints,
  type ShapeConstraints,
} from './arbitraries.js';

export { byRank, multiscaleOrder, orderOf, rasterOrder } from './order.js';

export {
  allowedField,
  diagonalBiLstmField,
  emptyDependence,
  pixelCnnField,
  pixelCnnReferenceLayers,
  referenceFieldOf,
  rowLstmField,
  stackField,
  unionDependence,
  type Dependence,
  type ReferenceField,
} from './field.js';

export { gradientDependence, perturbationDependence, readLogits, type Measured } from './dependence.js';

export { causalityLaw, channelOrderLaw, determinismLaw, fullPastLaw, labelDependenceLaw, normalisationLaw, samplerAgreementLaw } from './laws.js';

export { checkLabelDependence, ignoresLabel, withLabel, type LabelDependenceOptions } from './conditioning.js';

export {
  allImages,
  checkCausality,
  checkChannelOrder,
  checkDeterminism,
  checkFullPast,
  checkNormalisation,
  checkSamplerAgreement,
  logProbabilities,
  measureDependence,
  randomImages,
  type CheckableModel,
  type DependenceOptions,
  type DeterminismOptions,
  type FullPastOptions,
  type NormalisationOptions,
  type SamplerOptions,
} from './check.js';

export { checkAll, failures, lawSetups, type CheckAllOptions, type CheckAllReport, type LawSetup } from './suite.js';

export { disposeModel, genericModel, positiveParams, upperHalfImages, type GenericModelOptions, type WeightKind } from './models.js';

export { fromIncremental, referenceSampler, streamSampler, type Sampler } from './sampler.js';

export { chiSquare, chiSquarePValue, gammaQ, type ChiSquare } from './stats.js';

export {
  modelProperty,
  mustFail,
  registryBuilder,
  runProperty,
  showFailure,
  type ModelBuilder,
  type ModelCase,
  type ModelLaw,
  type PropertyDef,
  type RunFailure,
  type RunOptions,
  type RunSummary,
} from './runner.js';

export {
  controls,
  faithfulStack,
  maskedStack,
  peekAhead,
  samplerControls,
  swapRedBlue,
  temperatureSampler,
  unnormalisedHead,
  unseededSampler,
  type Control,
  type SamplerControl,
  type StackVariant,
} from './controls.js';
