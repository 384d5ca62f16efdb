// The configuration of a training run: decoded with io-ts from CLI flags and an optional JSON file,
// stored in every checkpoint so that `--resume` continues exactly the same run.
//
// Strict: a config is a JSON object; a key it does not know is an error naming the key and the
// nearest known one; every number has a stated range (RANGES below); every value it holds survives
// being written to a manifest as JSON and read back (Infinity, NaN and -0 do not, and are rejected
// up front). Precedence: flags over the config file over defaultRunConfig.

import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { formatValidationErrors } from '../src/data/errors.js';
import { jsonMismatch } from '../src/data/json.js';
import { NonNegativeInt, PositiveInt } from '../src/models/spec.js';
import { defaultOptimizer, OptimizerConfigCodec, type OptimizerConfig } from '../src/train/optimizers.js';
import { PAPER_LR_DECAY, SCHEDULE_KINDS, type LrSchedule, type ScheduleKind } from '../src/train/schedule.js';

const FiniteNumber = new t.Type<number, number, unknown>(
  'finite number',
  (u): u is number => typeof u === 'number' && Number.isFinite(u),
  (u, c) => (typeof u === 'number' && Number.isFinite(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);

const NonEmptyString = new t.Type<string, string, unknown>(
  'non-empty string',
  (u): u is string => typeof u === 'string' && u.length > 0,
  (u, c) => (typeof u === 'string' && u.length > 0 ? t.success(u) : t.failure(u, c)),
  t.identity,
);

const Binarize = t.union([t.literal('none'), t.literal('threshold'), t.literal('stochastic')]);

const requiredFields = {
  /** Training images: see pipelines/data.ts. */
  data: NonEmptyString,
  binarize: Binarize,
  /** Model spec fields over the preset's (any family), decoded separately by decodeSpec. */
  model: t.unknown,
  steps: PositiveInt,
  batchSize: PositiveInt,
  optimizer: OptimizerConfigCodec,
  seed: NonNegativeInt,
  /** Images held out from `data` for evaluation (ignored when testData is given). */
  validation: NonNegativeInt,
  checkpointEvery: NonNegativeInt,
  keep: PositiveInt,
  onNonFinite: t.union([t.literal('stop'), t.literal('skip')]),
  samples: NonNegativeInt,
  temperature: FiniteNumber,
};
const optionalFields = {
  /** Evaluate on these images instead of a held-out part of `data`. */
  testData: NonEmptyString,
  /** Use only the first N training images. */
  limit: PositiveInt,
  /** Images evaluated at the end (default: all). */
  evalLimit: PositiveInt,
  /** Images per evaluation batch (default 64). */
  evalBatchSize: PositiveInt,
  /** Size preset of the model family (default 'small'); see presetNames(). */
  preset: NonEmptyString,
  /** A class-conditional run's class names (label n is classNames[n]), from its data. */
  classNames: t.array(t.string),
  /** The learning-rate schedule (src/train/schedule.ts); default constant, or exponential when lrDecay is given. */
  lrSchedule: t.union(SCHEDULE_KINDS.map((k) => t.literal(k)) as unknown as [t.LiteralC<ScheduleKind>, t.LiteralC<ScheduleKind>, ...t.LiteralC<ScheduleKind>[]]),
  /** exponential: the rate is multiplied by this every step (default 0.999995, PixelCNN++'s). */
  lrDecay: FiniteNumber,
  /** cosine, linear: the rate at the end, as a fraction of the learning rate (default 0). */
  lrFloor: FiniteNumber,
  /** Weight averaging: the EMA decay (PixelCNN++: 0.9995); evaluation, sampling and export use the average. */
  ema: FiniteNumber,
  /** The average's warm-up, decay_t = min(ema, (1 + t) / (10 + t)) (default true). */
  emaWarmup: t.boolean,
};

export const RunConfigCodec = t.intersection([t.type(requiredFields), t.partial(optionalFields)], 'RunConfig');
export type RunConfig = t.TypeOf<typeof RunConfigCodec>;

/** Every key a run config may hold. */
export const RUN_CONFIG_KEYS: readonly string[] = [...Object.keys(requiredFields), ...Object.keys(optionalFields)];

export const DEFAULT_EVAL_BATCH = 64;
export const DEFAULT_PRESET = 'small';
export const DEFAULT_FAMILY = 'pixelcnn';

/** The run config a bare `pixelstreams train` uses; a config file and flags override it. */
export const defaultRunConfig: RunConfig = {
  data: 'mnist',
  binarize: 'none',
  model: {},
  steps: 300,
  batchSize: 16,
  optimizer: defaultOptimizer('rmsprop'),
  seed: 1,
  validation: 1000,
  checkpointEvery: 100,
  keep: 3,
  onNonFinite: 'stop',
  samples: 16,
  temperature: 1,
};

// ── A time budget's recipe ───────────────────────────────────────────────────────────────────

/** From this many seconds of --time-limit on, a new run is its family's larger size (BUDGET_PRESETS). */
export const BUDGET_PRESET_FROM_SECONDS = 600;
/** The size a long budget pays for: the first of these the family has (PixelCNN's reference model; the paper's MNIST PixelRNNs). */
export const BUDGET_PRESETS: readonly string[] = ['reference', 'mnist'];
/** The weight average of a time-bounded run (PixelCNN++'s decay). */
export const BUDGET_EMA = 0.9995;
/** The batch of a time-bounded run. */
export const BUDGET_BATCH = 32;

/**
 * The defaults of a new run bounded by `--time-limit SECONDS` (flags and the config file still
 * override every field): no step cap (the limit ends training), RMSProp at 1e-3 annealed by a cosine
 * schedule to zero at the step the limit allows (estimated from the first 5% of it), the weight
 * average (EMA 0.9995 with warm-up) for evaluation and sampling, batch 32, and from 10 minutes on
 * the family's larger size — `reference` for a PixelCNN (h = 64, 6 residual layers), `mnist` for
 * the Row LSTM and the Diagonal BiLSTM (the paper's 7 layers) — where `familyPresets` (the
 * family's preset names) has one; below that, and for families without one, the default size.
 * Measured on 2 cores (README "An hour on 2 cores"); RMSProp 1e-3 beat Adam 2e-3 under the same
 * cosine schedule by 1.5 nats in an 8-minute pilot. `lrDecay` or `lrSchedule` given (by flag or
 * file) keeps that schedule. Pure.
 */
export const timeBudgetConfig = (
  seconds: number,
  familyPresets: readonly string[],
  given: { readonly lrDecay?: unknown; readonly lrSchedule?: unknown },
): RunConfig => {
  const larger = seconds >= BUDGET_PRESET_FROM_SECONDS ? BUDGET_PRESETS.find((p) => familyPresets.includes(p)) : undefined;
  return {
    ...defaultRunConfig,
    steps: RANGES.steps!.max,
    batchSize: BUDGET_BATCH,
    optimizer: defaultOptimizer('rmsprop'),
    ...(given.lrDecay === undefined && given.lrSchedule === undefined ? { lrSchedule: 'cosine' as const } : {}),
    ema: BUDGET_EMA,
    ...(larger !== undefined ? { preset: larger } : {}),
  };
};

/** What a time budget's recipe sets, in words for the log. */
export const budgetSummary = (c: RunConfig): string =>
  [
    ...(c.preset !== undefined ? [`preset ${c.preset}`] : []),
    `batch ${c.batchSize}`,
    `${c.optimizer.name} ${c.optimizer.learningRate}`,
    ...(c.lrSchedule !== undefined ? [`${c.lrSchedule} schedule to the step the limit allows`] : []),
    ...(c.ema !== undefined ? [`EMA ${c.ema}`] : []),
    'no --steps cap',
  ].join(', ');

// ── Ranges ───────────────────────────────────────────────────────────────────────────────────

interface Range {
  readonly min: number;
  readonly max: number;
  readonly minOpen?: boolean;
  readonly maxOpen?: boolean;
  readonly integer?: boolean;
}
const int = (min: number, max: number): Range => ({ min, max, integer: true });

export const SEED_MAX = 2 ** 32 - 1;

/** The stated range of every number in a run config. */
export const RANGES: Readonly<Record<string, Range>> = {
  steps: int(1, 1e9),
  batchSize: int(1, 4096),
  seed: int(0, SEED_MAX),
  validation: int(0, 1e7),
  checkpointEvery: int(0, 1e9),
  keep: int(1, 1000),
  samples: int(0, 1024),
  temperature: { min: 0, max: 100 },
  limit: int(1, 1e9),
  evalLimit: int(1, 1e9),
  evalBatchSize: int(1, 4096),
  lrDecay: { min: 0, max: 1, minOpen: true },
  lrFloor: { min: 0, max: 1 },
  ema: { min: 0, max: 1, minOpen: true, maxOpen: true },
  // Any positive float32: the non-finite-loss tests use an absurd rate on purpose.
  'optimizer.learningRate': { min: 0, max: 3e38, minOpen: true },
  'optimizer.decay': { min: 0, max: 1, maxOpen: true },
  'optimizer.epsilon': { min: 0, max: 1, minOpen: true },
  'optimizer.beta1': { min: 0, max: 1, maxOpen: true },
  'optimizer.beta2': { min: 0, max: 1, maxOpen: true },
};

export const rangeText = (r: Range): string =>
  r.integer
    ? `an integer in ${r.min}..${r.max}`
    : `a number in ${r.minOpen ? '(' : '['}${r.min}, ${r.max}${r.maxOpen ? ')' : ']'}`;

export const inRange = (r: Range, v: number): boolean =>
  Number.isFinite(v) &&
  (!r.integer || Number.isInteger(v)) &&
  (r.minOpen ? v > r.min : v >= r.min) &&
  (r.maxOpen ? v < r.max : v <= r.max);

/** `field: expected <range>, found v` for every number outside its range. */
const rangeErrors = (c: RunConfig): string[] => {
  const flat: Record<string, unknown> = { ...c };
  for (const [k, v] of Object.entries(c.optimizer)) flat[`optimizer.${k}`] = v;
  return Object.entries(RANGES)
    .filter(([k]) => flat[k] !== undefined)
    .filter(([k, r]) => !inRange(r, flat[k] as number))
    .map(([k, r]) => `${k}: expected ${rangeText(r)}, found ${flat[k]}`);
};

// ── Schedule and average ─────────────────────────────────────────────────────────────────────

/** The schedule a config asks for: lrSchedule, else exponential when lrDecay is given, else constant. */
export const scheduleKindOf = (c: Pick<RunConfig, 'lrSchedule' | 'lrDecay'>): ScheduleKind =>
  c.lrSchedule ?? (c.lrDecay !== undefined ? 'exponential' : 'constant');

/** Fields that belong to another schedule, or an emaWarmup without an average. */
const scheduleFieldErrors = (c: RunConfig): string[] => {
  const kind = scheduleKindOf(c);
  const out: string[] = [];
  if (c.lrDecay !== undefined && kind !== 'exponential') out.push(`lrDecay: expected only with lrSchedule exponential, found lrSchedule ${kind}`);
  if (c.lrFloor !== undefined && kind !== 'cosine' && kind !== 'linear') out.push(`lrFloor: expected only with lrSchedule cosine or linear, found lrSchedule ${kind}`);
  if (c.emaWarmup !== undefined && c.ema === undefined) out.push('emaWarmup: expected only with ema (a weight-average decay), found no ema');
  return out;
};

/**
 * The optimizer a run trains with: the config's optimizer with its learning-rate schedule (cosine
 * and linear over `totalSteps`, default the config's steps) and its weight average, if any.
 */
export const trainingOptimizer = (c: RunConfig, totalSteps: number = c.steps): OptimizerConfig => {
  const kind = scheduleKindOf(c);
  const schedule: LrSchedule | undefined =
    kind === 'constant'
      ? undefined
      : kind === 'exponential'
        ? { kind, gamma: c.lrDecay ?? PAPER_LR_DECAY }
        : { kind, floor: c.lrFloor ?? 0, totalSteps: Math.max(1, totalSteps) };
  const { schedule: _s, ema: _e, ...base } = c.optimizer;
  return {
    ...base,
    ...(schedule ? { schedule } : {}),
    ...(c.ema !== undefined ? { ema: { decay: c.ema, warmup: c.emaWarmup ?? true } } : {}),
  } as OptimizerConfig;
};

// ── Unknown keys ─────────────────────────────────────────────────────────────────────────────

/** Edit distance (insertions, deletions, substitutions), for "did you mean". */
export const editDistance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
};

/** The known name nearest to `name`. */
export const nearest = (name: string, known: readonly string[]): string =>
  [...known].sort((x, y) => editDistance(name, x) - editDistance(name, y) || x.localeCompare(y))[0] ?? '';

/** `where: key: unknown …` for every key of `o` not in `known`, naming the nearest known key. */
export const unknownKeys = (o: object, known: readonly string[], prefix = ''): string[] =>
  Object.keys(o)
    .filter((k) => !known.includes(k))
    .map((k) => `${prefix}${k}: unknown key (did you mean '${prefix}${nearest(k, known)}'? known: ${known.join(', ')})`);

const isPlainObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

const describeNonObject = (u: unknown): string =>
  u === null ? 'null' : Array.isArray(u) ? 'an array' : typeof u === 'string' ? `a string ${JSON.stringify(u).slice(0, 40)}` : `${typeof u} ${String(u).slice(0, 40)}`;

const OPTIMIZER_KEYS: Record<string, readonly string[]> = {
  rmsprop: Object.keys(defaultOptimizer('rmsprop')),
  adam: Object.keys(defaultOptimizer('adam')),
};

/**
 * A complete run config (every required field present), strictly: an object, no unknown keys (at
 * the top and in `optimizer`), every number in its range, every value JSON-safe.
 */
export const decodeRunConfig = (u: unknown, where: string): E.Either<Error, RunConfig> => {
  const fail = (errs: string[]) => E.left(new Error(`${where}: ${errs.join('; ')}`));
  if (!isPlainObject(u)) return fail([`expected a JSON object (a run config), found ${describeNonObject(u)}`]);
  const unknown = unknownKeys(u, RUN_CONFIG_KEYS);
  if (isPlainObject(u.optimizer) && typeof u.optimizer.name === 'string' && OPTIMIZER_KEYS[u.optimizer.name])
    unknown.push(...unknownKeys(u.optimizer, OPTIMIZER_KEYS[u.optimizer.name]!, 'optimizer.'));
  if (unknown.length) return fail(unknown);
  if (u.model !== undefined && !isPlainObject(u.model)) return fail([`model: expected an object of model spec fields, found ${describeNonObject(u.model)}`]);
  return pipe(
    RunConfigCodec.decode(u),
    E.mapLeft((errs) => new Error(`${where}: ${formatValidationErrors(errs)}`)),
    E.chain((c) => {
      const lr = c.optimizer.learningRate;
      if (!(lr > 0 && Number.isFinite(lr))) return fail([`optimizer.learningRate: expected a finite number > 0, found ${lr}`]);
      const errs = [...rangeErrors(c), ...scheduleFieldErrors(c)];
      if (errs.length) return fail(errs);
      const bad = jsonMismatch(c);
      return bad ? fail([`${bad}: every value of a run config must survive JSON`]) : E.right(c);
    }),
  );
};

// ── Building a config: flags over the file over the defaults ─────────────────────────────────

/** What flags may set (undefined: not given). */
export interface RunFlags {
  readonly data?: string;
  readonly testData?: string;
  readonly binarize?: RunConfig['binarize'];
  readonly preset?: string;
  readonly steps?: number;
  readonly batchSize?: number;
  readonly optimizer?: OptimizerConfig['name'];
  readonly lr?: number;
  readonly seed?: number;
  readonly validation?: number;
  readonly limit?: number;
  readonly evalLimit?: number;
  readonly evalBatchSize?: number;
  readonly checkpointEvery?: number;
  readonly keep?: number;
  readonly onNonFinite?: RunConfig['onNonFinite'];
  readonly samples?: number;
  readonly temperature?: number;
  readonly lrSchedule?: ScheduleKind;
  readonly lrDecay?: number;
  readonly lrFloor?: number;
  readonly ema?: number;
  readonly emaWarmup?: boolean;
}

const FLAG_FIELDS = [
  'data', 'testData', 'binarize', 'preset', 'steps', 'batchSize', 'seed', 'validation', 'limit', 'evalLimit', 'evalBatchSize',
  'checkpointEvery', 'keep', 'onNonFinite', 'samples', 'temperature', 'lrSchedule', 'lrDecay', 'lrFloor', 'ema', 'emaWarmup',
] as const;

/**
 * The optimizer: its name from the flag, else the config's (`"adam"` or `{ "name": "adam", … }`),
 * else rmsprop; its settings the defaults of that optimizer, then the config's, then --lr. When the
 * flag names another optimizer than the config, the config's settings that optimizer has
 * (learningRate, epsilon) still apply and the others are dropped.
 */
const resolveOptimizer = (flags: RunFlags, fromFile: unknown): E.Either<string, OptimizerConfig> => {
  const file = typeof fromFile === 'string' ? { name: fromFile } : fromFile;
  if (file !== undefined && !isPlainObject(file)) return E.left(`optimizer: expected "rmsprop" | "adam" or an object, found ${describeNonObject(file)}`);
  const fileName = file?.name;
  if (fileName !== undefined && fileName !== 'rmsprop' && fileName !== 'adam')
    return E.left(`optimizer.name: expected "rmsprop" | "adam", found ${JSON.stringify(fileName)}`);
  const name = flags.optimizer ?? (fileName as OptimizerConfig['name'] | undefined) ?? 'rmsprop';
  const known = OPTIMIZER_KEYS[name]!;
  const settings = Object.fromEntries(Object.entries(file ?? {}).filter(([k]) => k !== 'name'));
  const unknown = (fileName === undefined || fileName === name) ? unknownKeys(settings, known, 'optimizer.') : [];
  if (unknown.length) return E.left(unknown.join('; '));
  const kept = Object.fromEntries(Object.entries(settings).filter(([k]) => known.includes(k)));
  return E.right({ ...defaultOptimizer(name), ...kept, ...(flags.lr !== undefined ? { learningRate: flags.lr } : {}), name } as OptimizerConfig);
};

/**
 * defaults < the config file (`fileConfig`, already parsed; `where` names it) < flags. The file
 * need not be complete; it must be an object of known keys. The result is decoded strictly.
 */
export const resolveRunConfig = (flags: RunFlags, fileConfig: unknown, where: string, base: RunConfig = defaultRunConfig): E.Either<Error, RunConfig> => {
  if (fileConfig !== undefined && !isPlainObject(fileConfig))
    return E.left(new Error(`${where}: expected a JSON object (a run config), found ${describeNonObject(fileConfig)}`));
  const file = fileConfig ?? {};
  const unknown = unknownKeys(file, RUN_CONFIG_KEYS);
  if (unknown.length) return E.left(new Error(`${where}: ${unknown.join('; ')}`));
  const optimizer = resolveOptimizer(flags, file.optimizer ?? (flags.optimizer === undefined ? base.optimizer : undefined));
  if (E.isLeft(optimizer)) return E.left(new Error(`${where}: ${optimizer.left}`));
  const fromFlags = Object.fromEntries(FLAG_FIELDS.filter((k) => flags[k] !== undefined).map((k) => [k, flags[k]]));
  return decodeRunConfig({ ...base, ...file, ...fromFlags, optimizer: optimizer.right }, where);
};
