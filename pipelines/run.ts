// A training run as one typed pipeline:
//
//   preflight   every check, nothing written: flags, config, family/preset, data (and test data)
//               against the model, sampling options, parameter count, the wasm heap at the
//               evaluation batch, the output folder (ours or empty), the resume policy
//   train       lock the run folder, mark it ours, train to cfg.steps (pipelines/train.ts)
//   evaluate    the final checkpoint on the held-out or test images (pipelines/evaluate.ts)
//   sample      cfg.samples images into samples.png (pipelines/sample.ts)
//   report      report.json beside them (pipelines/report.ts)
//
// Each phase is a TaskEither<RunError, …> and the phases are chained, so the first error ends the
// run as a value, in one form (RunError: usage or input), up to the edge (the CLI or the bench).
// An interrupt (SIGINT/SIGTERM, set by the caller) in any phase ends the run cleanly: training
// finishes its step and checkpoints, evaluation and sampling stop between batches, the report says
// what was kept; the result is still a Right.

import { METRICS_FILE } from '../src/metricsLog.js';
import { LOSS_CURVE_FILE, writeLossCurve } from './lossCurve.js';
import { classNamesOf } from '../src/data/records.js';
import type { LikelihoodSpec } from '../src/likelihoods/types.js';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as O from 'fp-ts/lib/Option.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { selectBackend, type BackendInfo } from '../src/backend.js';
import { disposeCheckpoint, listCheckpoints, loadCheckpoint, loadLatestCheckpoint, modelWeights } from '../src/checkpoint/checkpoint.js';
import { specBoundErrors } from '../src/checkpoint/specBounds.js';
import { readJsonFile } from '../src/data/json.js';
import { LIMITS } from '../src/data/limits.js';
import type { ImageShape } from '../src/model.js';
import { bindModel, decodeSpec, familyNames, familyOf, presetFor, presetNames, presetsOfFamily, type ModelSpec } from '../src/models/registry.js';
import { resolveSampleOptions } from '../src/sampling/options.js';
import { tf } from '../src/tf.js';
import type { GradientEngine } from '../src/train/engine.js';
import {
  DEFAULT_EVAL_BATCH,
  DEFAULT_FAMILY,
  DEFAULT_PRESET,
  decodeRunConfig,
  defaultRunConfig,
  resolveRunConfig,
  timeBudgetConfig,
  budgetSummary,
  type RunConfig,
  type RunFlags,
} from './config.js';
import { evaluateSet } from './evaluate.js';
import { packageVersion, writeReport } from './report.js';
import { acquireLock, checkReplaceable, checkRunFolder, RUN_MANIFEST, writeRunManifest } from './runFolder.js';
import { collectSamples, writeGrid } from './sample.js';
import { prepareData, runTraining, type PreparedSets, type StopSignal, type TrainOutcome } from './train.js';

export { defaultRunConfig } from './config.js';

// ── Errors: one form ─────────────────────────────────────────────────────────────────────────

/** usage: the command line asked for something that does not exist (exit 2); input: a file, a
 *  folder or a value is wrong, or the work failed (exit 1). The message names the file or field. */
export interface RunError {
  readonly kind: 'usage' | 'input';
  readonly message: string;
}
export const usageError = (message: string): RunError => ({ kind: 'usage', message });
export const inputError = (e: Error | string): RunError => ({ kind: 'input', message: typeof e === 'string' ? e : e.message });
const fromEither = <A>(r: E.Either<Error, A>, kind: RunError['kind'] = 'input'): E.Either<RunError, A> =>
  E.mapLeft((e: Error) => ({ kind, message: e.message }))(r);

// ── What a run is asked to do ────────────────────────────────────────────────────────────────

export interface RunRequest {
  /** Run config fields from flags (undefined: not given). */
  readonly flags: RunFlags;
  /** Model family (--model); default: the config's model.family, else pixelcnn. */
  readonly family?: string;
  /** JSON run config file (--config). */
  readonly configFile?: string;
  /** Run folder (default runs/<time>). */
  readonly out?: string;
  readonly resume?: boolean;
  readonly timeLimitSeconds?: number;
  /** Gradient worker threads; default one per core on wasm and cpu, 1 on tensorflow. */
  readonly workers?: number;
  readonly backend?: string;
  readonly showProgress?: boolean;
  /** The likelihood, over the preset's and the config's (--likelihood, --mixture-components). */
  readonly likelihood?: LikelihoodSpec;
  /** Class-conditional on the data's labels (--conditional). */
  readonly conditional?: boolean;
  /** Model spec fields from flags (e.g. --nr-resnet), over the preset's and the config's. */
  readonly modelFields?: Readonly<Record<string, unknown>>;
}

export interface RunEnv {
  readonly log: (line: string) => void;
  /** Set by SIGINT/SIGTERM: every phase ends cleanly at its next chance. */
  readonly interrupt: StopSignal & { signal?: string };
  /** Also ends training (not the later phases), e.g. a CPU budget; read after every step. */
  readonly stopTraining?: () => boolean;
  /** Called once the run folder is ours (locked, manifest written), before the first step; what it returns runs at the end. */
  readonly onFolderReady?: (outDir: string, heldOut: readonly Uint8Array[]) => Promise<() => Promise<void>>;
}

export interface Timing {
  readonly seconds: number;
  readonly cpuSeconds: number;
}

export interface RunReport {
  readonly command: 'train';
  readonly backend: BackendInfo;
  readonly workers: number;
  readonly config: RunConfig;
  readonly spec: ModelSpec;
  readonly data: { readonly train: { readonly name: string; readonly images: number }; readonly heldOut: { readonly name: string; readonly images: number } };
  readonly training?: TrainOutcome & { readonly cpuSeconds: number };
  readonly evaluation?: { readonly images: number; readonly meanNll: number; readonly bitsPerDim: number; readonly set: string; readonly complete: boolean; readonly weights: string } & Timing;
  readonly sampling?: { readonly count: number; readonly file: string; readonly weights: string } & Timing;
  /** The pictures and logs the run wrote in its folder (file names, null when not written). */
  readonly figures?: { readonly samples: string | null; readonly lossCurve: string | null; readonly metrics: string };
  /** Present when a signal ended the run early: the phase it came in and what was kept. */
  readonly interrupted?: { readonly signal: string; readonly phase: Phase; readonly kept: string };
  readonly seconds: number;
}

export type Phase = 'preflight' | 'train' | 'evaluate' | 'sample' | 'report';

export interface RunResult {
  readonly outDir: string;
  readonly report: RunReport;
  /** report.json, or undefined when the run stopped before it wrote anything. */
  readonly reportFile?: string;
  /** The last checkpoint (loadable), if training wrote one. */
  readonly checkpoint?: string;
}

// ── Preflight ────────────────────────────────────────────────────────────────────────────────

const timestamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The family and preset asked for, checked against the registry: no fallbacks. */
export const checkModelChoice = (family: string, preset: string): E.Either<RunError, void> => {
  const families = familyNames();
  if (!families.includes(family)) return E.left(usageError(`--model: expected one of ${families.join(', ')}, found '${family}'`));
  const pairs = presetNames();
  if (!pairs.includes(`${family}/${preset}`)) {
    const own = presetsOfFamily(family);
    const elsewhere = pairs.filter((p) => p.endsWith(`/${preset}`)).map((p) => p.split('/')[0]!);
    return E.left(
      usageError(
        `--preset: expected one of ${own.join(', ')} for --model ${family}, found '${preset}'` +
          (elsewhere.length ? ` (a preset of ${elsewhere.join(', ')})` : '') +
          `; every family/preset: ${pairs.join(', ')}`,
      ),
    );
  }
  return E.right(undefined);
};

const SHAPE_KEYS = ['height', 'width', 'channels', 'levels'] as const;

/**
 * The model spec: the preset for the data's image shape, the config's `model` fields over it,
 * decoded. A shape field of the config that differs from the data's is an error naming it.
 */
export const resolveSpec = (
  family: string,
  preset: string,
  cfg: RunConfig,
  shape: ImageShape,
  where: string,
): E.Either<RunError, ModelSpec> => {
  const choice = checkModelChoice(family, preset);
  if (E.isLeft(choice)) return choice;
  const made = presetFor(family, preset);
  if (E.isLeft(made)) return E.left(usageError(`--model/--preset: ${made.left.message}`));
  const base = made.right({ height: shape.height, width: shape.width, channels: shape.channels as 1 | 3, levels: shape.levels });
  if (base.family !== family) return E.left(usageError(`--model/--preset: ${family}/${preset} gives a ${base.family} model`));
  const over = (cfg.model ?? {}) as Record<string, unknown>;
  const errs = SHAPE_KEYS.filter((k) => over[k] !== undefined && over[k] !== shape[k]).map(
    (k) => `model.${k}: expected ${shape[k]} (the data's), found ${JSON.stringify(over[k])}`,
  );
  if (over.family !== undefined && over.family !== family) errs.push(`model.family: expected '${family}' (the model asked for), found ${JSON.stringify(over.family)}`);
  errs.push(...specBoundErrors(over, 'model'));
  if (errs.length) return E.left(inputError(`${where}: ${errs.join('; ')}`));
  return fromEither(decodeSpec({ ...base, ...over }, `${where}: model`));
};

/** Parameters of a spec, counted from its shapes (nothing allocated). */
export const parameterCount = (spec: ModelSpec): number =>
  Object.values(familyOf(spec).shapes(spec) as Record<string, number[]>).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

/** The wasm backend's heap: one 32-bit memory. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

/**
 * Peak bytes of tensors a forward pass holds per image (tf.profile's peakBytes over what was
 * allocated before), measured on a batch of two images of zeros with freshly initialised weights,
 * less the one-image run, so that the per-image share is not confused with fixed costs.
 */
export const forwardBytesPerImage = async (spec: ModelSpec, seed: number): Promise<{ perImage: number; weights: number }> => {
  const params = familyOf(spec).init(spec, seed);
  try {
    const weights = Object.values(params).reduce((n, t) => n + t.size * 4, 0);
    const model = bindModel(spec, params);
    const peak = async (b: number) => {
      const x = tf.zeros([b, spec.height, spec.width, spec.channels]);
      const labels = spec.classes ? tf.zeros([b], 'int32') : undefined; // a class-conditional model takes its labels
      const base = tf.memory().numBytes;
      const info = await tf.profile(() => {
        model.forward(x as never, labels as never).dispose();
      });
      tf.dispose([x, ...(labels ? [labels] : [])]);
      return info.peakBytes - base;
    };
    const one = await peak(1);
    const two = await peak(2);
    return { perImage: Math.max(two - one, one / 2, 0), weights };
  } finally {
    for (const t of Object.values(params)) t.dispose();
  }
};

/** The evaluation batch fits the wasm heap (with a 1.5× margin for kernels' scratch), else an error saying what fits. */
export const checkEvaluationHeap = async (spec: ModelSpec, batch: number, seed: number, backend: BackendInfo): Promise<E.Either<RunError, void>> => {
  if (backend.engine !== 'wasm') return E.right(undefined);
  const { perImage, weights } = await forwardBytesPerImage(spec, seed);
  const need = (perImage * batch + weights * 3) * 1.5;
  if (need <= WASM_HEAP_BYTES) return E.right(undefined);
  const fits = Math.max(0, Math.floor((WASM_HEAP_BYTES / 1.5 - weights * 3) / Math.max(1, perImage)));
  return E.left(
    inputError(
      `evalBatchSize: evaluating ${batch} images at once needs about ${(need / 2 ** 30).toFixed(1)} GiB of the wasm heap (at most 4 GiB); ` +
        (fits >= 1 ? `use --eval-batch-size ${fits} or less` : 'this model does not fit the wasm backend at all: use a smaller model or the tensorflow backend'),
    ),
  );
};

interface Plan {
  readonly backend: BackendInfo;
  readonly outDir: string;
  readonly cfg: RunConfig;
  readonly spec: ModelSpec;
  readonly sets: PreparedSets;
  readonly folder: 'new' | 'empty' | 'ours';
  readonly resumeFrom?: string;
}

/** Flags that contradict the run being resumed. */
const resumeConflicts = (req: RunRequest, stored: RunConfig, storedSpec: ModelSpec, preset: string | undefined): string[] => {
  const out: string[] = [];
  const f = req.flags;
  const check = (flag: string, key: 'data' | 'binarize' | 'seed' | 'batchSize') => {
    if (f[key] !== undefined && !sameJson(f[key], stored[key])) out.push(`${flag}: the run was trained with ${JSON.stringify(stored[key])}, found ${JSON.stringify(f[key])}`);
  };
  check('--data', 'data');
  check('--binarize', 'binarize');
  check('--seed', 'seed');
  check('--batch-size', 'batchSize');
  if (req.family !== undefined || preset !== undefined) {
    const family = req.family ?? storedSpec.family;
    const size = preset ?? stored.preset ?? DEFAULT_PRESET;
    const made = presetFor(family, size);
    const wanted = E.isRight(checkModelChoice(family, size)) && E.isRight(made) && made.right({ height: storedSpec.height, width: storedSpec.width, channels: storedSpec.channels as 1 | 3, levels: storedSpec.levels });
    if (!sameJson(wanted, storedSpec)) out.push(`--model/--preset: the run's model is ${JSON.stringify(storedSpec)}, found ${family}/${size}`);
  }
  if (req.configFile !== undefined) out.push('--config: a resumed run keeps its stored config; only --steps and run-time options may change');
  return out;
};

const cpuNow = () => process.cpuUsage();
const cpuSince = (c: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1e6;
};

/** A class-conditional model's end-of-run samples: the classes in turn (image n of class n mod classes). */
export const sampleLabels = (spec: ModelSpec, count: number): { labels?: number[] } =>
  spec.classes ? { labels: Array.from({ length: count }, (_, n) => n % spec.classes!) } : {};

/** Every check, before anything is written. */
export const preflight = (req: RunRequest, env: RunEnv): TE.TaskEither<RunError, Plan> => async () => {
  const f = req.flags;
  // Usage first: a family or preset that does not exist (no data read for it).
  if (req.family !== undefined && !familyNames().includes(req.family))
    return E.left(usageError(`--model: expected one of ${familyNames().join(', ')}, found '${req.family}'`));
  const backend = fromEither(await selectBackend(req.backend));
  if (E.isLeft(backend)) return backend;
  env.log(`backend: ${backend.right.name} (${backend.right.detail})`);
  const outDir = resolve(req.out ?? join('runs', timestamp()));

  // The config: the stored one on --resume (the run must go on as it began), else defaults < file < flags.
  let base: RunConfig = defaultRunConfig;
  let fileConfig: unknown;
  let where = req.configFile ?? 'options';
  let storedSpec: ModelSpec | undefined;
  let resumeFrom: string | undefined;
  if (req.resume) {
    const latest = loadLatestCheckpoint(outDir);
    if (E.isLeft(latest)) return fromEither(latest);
    if (O.isSome(latest.right)) {
      const { path, contents } = latest.right.value;
      disposeCheckpoint(contents);
      const stored = decodeRunConfig(contents.run, `${path}: run`);
      if (E.isLeft(stored)) return fromEither(stored);
      const conflicts = resumeConflicts(req, stored.right, contents.spec, f.preset);
      if (conflicts.length) return E.left(inputError(`${outDir}: cannot resume with different settings (${conflicts.join('; ')})`));
      base = { ...stored.right, model: contents.spec };
      storedSpec = contents.spec;
      resumeFrom = path;
      where = `${path}: run`;
    }
  }
  if (!storedSpec && req.configFile !== undefined) {
    const parsed = readJsonFile(req.configFile, 'a JSON run config');
    if (E.isLeft(parsed)) return fromEither(parsed);
    fileConfig = parsed.right;
  }
  // A new run bounded by --time-limit: the recipe that budget allows, under the file and the flags.
  if (!storedSpec && req.timeLimitSeconds !== undefined) {
    const file = (typeof fileConfig === 'object' && fileConfig !== null ? fileConfig : {}) as { model?: { family?: unknown }; lrDecay?: unknown; lrSchedule?: unknown };
    const fileFamily = typeof file.model?.family === 'string' ? file.model.family : undefined;
    base = timeBudgetConfig(req.timeLimitSeconds, presetsOfFamily(req.family ?? fileFamily ?? DEFAULT_FAMILY), { lrDecay: f.lrDecay ?? file.lrDecay, lrSchedule: f.lrSchedule ?? file.lrSchedule });
    env.log(`--time-limit ${req.timeLimitSeconds} s: the budget's recipe (flags and --config override it): ${budgetSummary(base)}`);
  }
  const cfg0 = fromEither(resolveRunConfig(storedSpec ? { ...f, data: undefined, binarize: undefined } : f, fileConfig, where, base));
  if (E.isLeft(cfg0)) return cfg0;
  const modelFields = (cfg0.right.model ?? {}) as { family?: unknown };
  const family = storedSpec?.family ?? req.family ?? (typeof modelFields.family === 'string' ? modelFields.family : DEFAULT_FAMILY);
  const preset = cfg0.right.preset ?? DEFAULT_PRESET;
  if (!storedSpec) {
    const choice = checkModelChoice(family, preset);
    if (E.isLeft(choice)) return choice;
  }

  // Data, and the model for it.
  const sets = fromEither(await prepareData(cfg0.right));
  if (E.isLeft(sets)) return sets;
  const shape = { ...sets.right.train.shape, levels: sets.right.transform?.levels ?? sets.right.train.shape.levels };
  let spec: E.Either<RunError, ModelSpec>;
  if (storedSpec) {
    const s = storedSpec;
    const bad = SHAPE_KEYS.filter((k) => s[k] !== shape[k]);
    spec = bad.length
      ? E.left(inputError(`${cfg0.right.data}: expected ${s.height}×${s.width}×${s.channels} images with ${s.levels} levels (the run's model), found ${shape.height}×${shape.width}×${shape.channels} with ${shape.levels} levels`))
      : E.right(s);
  } else spec = resolveSpec(family, preset, cfg0.right, shape, where);
  if (E.isLeft(spec)) return spec;
  // --likelihood and --conditional over the preset and the config (flags win); the classes from the data.
  let classNames: readonly string[] | undefined = cfg0.right.classNames;
  if (!storedSpec && (req.likelihood || req.conditional || req.modelFields || spec.right.classes !== undefined)) {
    const names = classNamesOf(sets.right.train);
    if ((req.conditional || spec.right.classes !== undefined) && !names)
      return E.left(usageError(`--conditional: the data '${cfg0.right.data}' has no labels (idx: give a labels file, idx:IMAGES,LABELS; png: one subfolder of images per class)`));
    classNames = req.conditional || spec.right.classes !== undefined ? names : undefined;
    if (classNames && classNames.length < 2)
      return E.left(inputError(`${cfg0.right.data}: --conditional needs at least 2 classes in the training data, found ${classNames.length} (${classNames.join(', ')}); with --limit, take more images (the embedded digits come in digit order)`));
    const asked = { ...spec.right, ...req.modelFields, ...(req.likelihood ? { likelihood: req.likelihood } : {}), ...(classNames ? { classes: classNames.length } : {}) };
    const decoded = fromEither(decodeSpec(asked, `${where}: model`));
    if (E.isLeft(decoded)) return decoded;
    spec = decoded;
  }
  // The run config stored in every checkpoint holds the spec itself (and the class names): a resume needs nothing else.
  const cfg: RunConfig = { ...cfg0.right, model: spec.right, ...(classNames ? { classNames: [...classNames] } : {}) };

  // Sizes: the parameters, the evaluation batch on the wasm heap, the sampling options.
  const params = parameterCount(spec.right);
  if (params > LIMITS.parameters)
    return E.left(inputError(`${where}: model: expected at most ${LIMITS.parameters} parameters, found ${params} (${JSON.stringify(spec.right)})`));
  const sampling = resolveSampleOptions(spec.right, { count: cfg.samples, seed: cfg.seed, temperature: cfg.temperature, ...sampleLabels(spec.right, cfg.samples) });
  if (E.isLeft(sampling)) return E.left(inputError(`${where}: ${sampling.left.message}`));
  const heap = await checkEvaluationHeap(spec.right, Math.min(cfg.evalBatchSize ?? DEFAULT_EVAL_BATCH, sets.right.heldOut.records.length), cfg.seed, backend.right);
  if (E.isLeft(heap)) return heap;

  // The output folder: ours or empty; its files ours to replace; checkpoints only with --resume.
  const folder = fromEither(checkRunFolder(outDir));
  if (E.isLeft(folder)) return folder;
  const existing = listCheckpoints(outDir);
  if (existing.length > 0 && !req.resume)
    return E.left(inputError(`${outDir}: already holds checkpoints (last: step ${existing[existing.length - 1]!.step}); pass --resume to continue that run, or choose another --out`));
  for (const [name, kind] of [['report.json', 'report'], ['samples.png', 'png'], [LOSS_CURVE_FILE, 'png']] as const) {
    const r = fromEither(checkReplaceable(join(outDir, name), kind, '--out'));
    if (E.isLeft(r)) return r;
  }
  return E.right({
    backend: backend.right,
    outDir,
    cfg,
    spec: spec.right,
    sets: sets.right,
    folder: folder.right,
    ...(resumeFrom ? { resumeFrom } : {}),
  });
};

// ── The phases ───────────────────────────────────────────────────────────────────────────────

/** Worker threads when none are asked for: one per core where the backend itself runs on one
 *  thread (wasm, cpu); tensorflow's native kernels use every core already. */
export const defaultWorkers = (backend: BackendInfo): number => (backend.engine === 'tensorflow' ? 1 : availableParallelism());

const makeEngine = async (workers: number | undefined, backend: BackendInfo): Promise<GradientEngine | undefined> => {
  const count = workers ?? defaultWorkers(backend);
  if (count <= 1) return undefined;
  const { workerEngine } = await import('../src/train/workers.js');
  return workerEngine({ workers: count, backend: backend.name });
};

const tryTask = <A>(what: string, f: () => Promise<A>): TE.TaskEither<RunError, A> =>
  TE.tryCatch(f, (e) => inputError(e instanceof Error ? e : new Error(`${what}: ${String(e)}`)));

/** train → evaluate → sample → report, after the preflight. */
export const run = (req: RunRequest, env: RunEnv): TE.TaskEither<RunError, RunResult> => {
  const started = performance.now();
  const { log, interrupt } = env;
  return pipe(
    preflight(req, env),
    TE.chain((plan) => async (): Promise<E.Either<RunError, RunResult>> => {
      const { backend, outDir, cfg, spec, sets } = plan;
      log(`model: ${spec.family} ${JSON.stringify(spec)}`);
      log(`data: ${sets.train.records.length} training images (${sets.train.name}), ${sets.heldOut.records.length} held out (${sets.heldOut.name})`);
      log(`run: ${outDir}`);
      const base = {
        command: 'train' as const,
        backend,
        config: cfg,
        spec,
        data: { train: { name: sets.train.name, images: sets.train.records.length }, heldOut: { name: sets.heldOut.name, images: sets.heldOut.records.length } },
      };
      if (interrupt.requested) {
        log(`${interrupt.signal ?? 'stop'}: stopped before training; nothing was written`);
        return E.right({ outDir, report: { ...base, workers: 0, interrupted: { signal: interrupt.signal ?? 'stop', phase: 'preflight', kept: 'nothing (no file was written)' }, seconds: (performance.now() - started) / 1000 } });
      }

      // The first writes: the lock, then our manifest.
      const made = fromEither(ensureDir(outDir));
      if (E.isLeft(made)) return made;
      const lock = fromEither(acquireLock(outDir));
      if (E.isLeft(lock)) return lock;
      try {
        const marked = fromEither(writeRunManifest(outDir, packageVersion()));
        if (E.isLeft(marked)) return marked;
        const done = env.onFolderReady ? await env.onFolderReady(outDir, sets.heldOut.records.map((r) => r.pixels)) : undefined;
        const result = await afterLock(req, env, plan, base, started)().finally(() => done?.());
        if (E.isLeft(result)) undoEmptyRun(outDir, plan.folder);
        return result;
      } finally {
        lock.right.release();
        if (plan.folder === 'new') removeIfEmpty(outDir);
      }
    }),
  );
};

/** A run that failed before its first checkpoint leaves the folder as it found it: our manifest goes. */
const undoEmptyRun = (dir: string, folder: Plan['folder']): void => {
  if (folder === 'ours' || listCheckpoints(dir).length > 0) return;
  rmSync(join(dir, RUN_MANIFEST), { force: true });
  const ckpts = join(dir, 'checkpoints');
  if (existsSync(ckpts) && readdirSync(ckpts).length === 0) rmdirSync(ckpts);
};

const removeIfEmpty = (dir: string): void => {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    /* not ours to force */
  }
};

const ensureDir = (dir: string): E.Either<Error, void> => {
  try {
    mkdirSync(dir, { recursive: true });
    return E.right(undefined);
  } catch (e) {
    return E.left(new Error(`--out ${dir}: cannot create (${(e as Error).message})`));
  }
};

const afterLock = (
  req: RunRequest,
  env: RunEnv,
  plan: Plan,
  base: Omit<RunReport, 'workers' | 'seconds'>,
  started: number,
): TE.TaskEither<RunError, RunResult> => async () => {
  const { log, interrupt } = env;
  const { backend, outDir, cfg, spec, sets } = plan;
  const engine = await makeEngine(req.workers, backend);
  log(`gradients: ${engine ? engine.description : 'in-process'}${engine ? ' (--workers 1 trains in-process)' : ''}`);
  const stop: StopSignal = { get requested() { return interrupt.requested || (env.stopTraining?.() ?? false); } };
  const cpu0 = cpuNow();
  const trained = await runTraining(cfg, spec, sets, {
    outDir,
    resume: req.resume ?? false,
    showProgress: req.showProgress ?? false,
    stop,
    log,
    ...(engine ? { engine } : {}),
    ...(req.timeLimitSeconds !== undefined ? { timeLimitSeconds: req.timeLimitSeconds } : {}),
  }).finally(() => engine?.close());
  if (E.isLeft(trained)) return E.left(inputError(trained.left));
  const outcome = { ...trained.right, cpuSeconds: cpuSince(cpu0) };
  log(`trained to step ${outcome.step} (${outcome.stoppedBy}): ${outcome.imagesPerSecond.toFixed(1)} img/s, last loss ${outcome.lastLoss.toFixed(2)} nats`);
  let report: RunReport = { ...base, workers: engine?.workers ?? 1, training: outcome, seconds: 0 };
  const kept = `the checkpoint ${outcome.checkpoint} (step ${outcome.step}; --resume continues from it)`;
  const interrupted = (phase: Phase, what: string) => {
    log(`${interrupt.signal ?? 'stop'} during ${phase}: ${what}; kept ${kept}`);
    report = { ...report, interrupted: { signal: interrupt.signal ?? 'stop', phase, kept: `${what}; kept ${kept}` } };
  };

  if (interrupt.requested) interrupted('train', 'stopped training after the current step');
  else {
    const ckpt = fromEither(loadCheckpoint(outcome.checkpoint, { expectSpec: spec }));
    if (E.isLeft(ckpt)) return ckpt;
    // The weight average where the run keeps one (--ema), else the last parameters: the report says which.
    const weights = modelWeights(ckpt.right);
    const model = bindModel(ckpt.right.spec, weights.params);
    try {
      // Evaluate.
      const t0 = performance.now();
      const c0 = cpuNow();
      const evalBatch = cfg.evalBatchSize ?? DEFAULT_EVAL_BATCH;
      const ev = await tryTask('evaluation', () => evaluateSet(model, sets.heldOut, { batchSize: evalBatch, showProgress: req.showProgress ?? false, stop: interrupt }))();
      if (E.isLeft(ev)) return ev;
      const complete = ev.right.images === sets.heldOut.records.length;
      report = { ...report, evaluation: { ...ev.right, set: sets.heldOut.name, complete, weights: weights.description, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSince(c0) } };
      if (!complete) interrupted('evaluate', `stopped evaluating after ${ev.right.images} of ${sets.heldOut.records.length} images (the report's evaluation is partial)`);
      else {
        log(`held-out NLL: ${ev.right.meanNll.toFixed(2)} nats per image, ${ev.right.bitsPerDim.toFixed(4)} bits/dim over ${ev.right.images} images (weights: ${weights.description})`);
        // Sample.
        if (cfg.samples > 0) {
          const s0 = performance.now();
          const sc0 = cpuNow();
          const sampled = await tryTask('sampling', () => collectSamples(model, { count: cfg.samples, seed: cfg.seed, temperature: cfg.temperature, ...sampleLabels(spec, cfg.samples) }, undefined, interrupt))();
          if (E.isLeft(sampled)) return sampled;
          if (sampled.right.images.length < cfg.samples) interrupted('sample', `stopped sampling after ${sampled.right.images.length} of ${cfg.samples} images (no samples.png written)`);
          else {
            const file = fromEither(writeGrid(join(outDir, 'samples.png'), sampled.right.images, spec));
            if (E.isLeft(file)) return file;
            report = { ...report, sampling: { count: cfg.samples, file: file.right, weights: weights.description, seconds: (performance.now() - s0) / 1000, cpuSeconds: cpuSince(sc0) } };
            log(`samples: ${file.right} (${sampled.right.seconds.toFixed(1)} s)`);
          }
        }
      }
    } finally {
      disposeCheckpoint(ckpt.right);
    }
  }
  // The loss curve beside samples.png, from the metrics log training wrote.
  if (report.training) {
    const curve = writeLossCurve(outDir);
    report = { ...report, figures: { samples: report.sampling ? 'samples.png' : null, lossCurve: E.isRight(curve) ? LOSS_CURVE_FILE : null, metrics: METRICS_FILE } };
    if (E.isLeft(curve)) log(`loss curve: not written (${curve.left.message})`);
  }
  // Report (synchronous: a signal now is handled after it is written).
  report = { ...report, seconds: (performance.now() - started) / 1000 };
  const reportFile = fromEither(writeReport(outDir, 'report.json', report as unknown as Record<string, unknown>));
  if (E.isLeft(reportFile)) return reportFile;
  log(`report: ${reportFile.right}`);
  return E.right({ outDir, report, reportFile: reportFile.right, checkpoint: outcome.checkpoint });
};
