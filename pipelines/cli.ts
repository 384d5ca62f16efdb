// The command line: parse flags (commander), build the request, call the pipeline, print. A train
// run is pipelines/run.ts (preflight → train → evaluate → sample → report); eval and sample are
// small enough to live here. Every error reaches the user here as one message naming the file or
// field. Exit codes: 0 done (also after SIGINT/SIGTERM, which end any phase cleanly), 1 bad input
// or a failure, 2 bad usage (commander's own errors included).

import { likelihoodKinds } from '../src/likelihoods/index.js';
import type { LikelihoodSpec } from '../src/likelihoods/types.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import * as O from 'fp-ts/lib/Option.js';
import { resolve } from 'node:path';
import { selectBackend, BACKENDS, type BackendInfo } from '../src/backend.js';
import { loadCheckpoint, loadLatestCheckpoint, disposeCheckpoint, modelWeights, type CheckpointContents } from '../src/checkpoint/checkpoint.js';
import { readFileBounded } from '../src/data/files.js';
import { decodePng } from '../src/data/png.js';
import { bindModel, familyNames, presetNames, type ModelSpec } from '../src/models/registry.js';
import { decodeRunConfig, inRange, RANGES, rangeText, DEFAULT_EVAL_BATCH, DEFAULT_FAMILY, DEFAULT_PRESET, type RunFlags } from './config.js';
import { binarization, DATA_HELP, heldOutSource, MNIST_HELP, readSource, type BinarizeMode } from './data.js';
import { evaluateSet } from './evaluate.js';
import { writeReport } from './report.js';
import { checkEvalOut, checkSampleOut } from './runFolder.js';
import { checkEvaluationHeap, run, type RunError } from './run.js';
import { collectSamples, writeGrid } from './sample.js';
import { materializeRun, pretrainedListing, removeMaterialized, resolvePretrained } from './pretrained.js';

export { defaultWorkers } from './run.js';

/** An error carried to main's catch: usage (exit 2) or bad input (exit 1). */
class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

const fail = (e: Error | RunError, exitCode: 1 | 2 = 1): never => {
  throw new CliError(e.message, 'kind' in e && e.kind === 'usage' ? 2 : exitCode);
};
const orFail = <A>(r: E.Either<Error, A>): A => (E.isLeft(r) ? fail(r.left) : r.right);
const usage = (message: string): never => fail(new Error(message), 2);

/** An integer flag in its stated range (the run config's, where the flag sets a config field). */
const int = (name: string, min = 0, max = 1e9) => (v: string) => {
  const n = Number(v);
  if (!/^[+-]?\d+(e\+?\d+)?$/i.test(v.trim()) || !Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${name}: expected an integer in ${min}..${max}, found '${v}'`);
  return n;
};
const ranged = (name: string, key: string) => {
  const r = RANGES[key]!;
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || Number.isNaN(n)) throw new InvalidArgumentError(`${name}: expected a number, found '${v}'`);
    if (!inRange(r, n)) throw new InvalidArgumentError(`${name}: expected ${rangeText(r)}, found '${v}'`);
    return n;
  };
};
const num = (name: string, min = -Infinity, max = Infinity) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new InvalidArgumentError(`${name}: expected a ${Number.isFinite(min) ? `number in ${min}..${max}` : 'number'}, found '${v}'`);
  return n;
};

const log = (line: string) => process.stderr.write(`${line}\n`);

const startBackend = async (requested?: string): Promise<BackendInfo> => {
  const info = orFail(await selectBackend(requested));
  log(`backend: ${info.name} (${info.detail})`);
  return info;
};

interface TrainFlags extends Omit<RunFlags, 'onNonFinite'> {
  model?: string;
  config?: string;
  onNan?: 'stop' | 'skip';
  timeLimit?: number;
  workers?: number;
  backend?: string;
  out?: string;
  resume?: boolean;
  progress: boolean;
  json?: boolean;
  likelihood?: string;
  mixtureComponents?: number;
  conditional?: boolean;
  serve?: boolean | string;
  nrResnet?: number;
  nrFilters?: number;
  dropout?: number;
}

/** A TCP port (0: any free one). */
const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) return usage(`--port: expected an integer in 0..65535, found '${v}'`);
  return n;
};

/** The held-out images of a run, in the model's levels, as its training saw them (for completion in the dashboard). */
const heldOutImages = async (runDir: string): Promise<readonly Uint8Array[]> => {
  const latest = loadLatestCheckpoint(runDir);
  if (E.isLeft(latest) || O.isNone(latest.right)) return [];
  const { contents } = latest.right.value;
  disposeCheckpoint(contents);
  const cfg = decodeRunConfig(contents.run, runDir);
  if (E.isLeft(cfg)) return [];
  const { prepareData } = await import('./train.js');
  const sets = await prepareData({ ...cfg.right, limit: Math.min(cfg.right.limit ?? Infinity, 2000) });
  return E.isRight(sets) ? sets.right.heldOut.records.slice(0, 16).map((r) => r.pixels) : [];
};

/** --run DIR or --pretrained NAME (copied into a temporary run folder, removed by `done`). */
const runOrPretrained = (flags: { run?: string; pretrained?: string }): { runDir: string; done: () => void } => {
  if ((flags.run === undefined) === (flags.pretrained === undefined))
    return usage(`expected --run DIR or --pretrained NAME (one of them), found ${flags.run === undefined ? 'neither' : 'both'}`);
  if (flags.run !== undefined) return { runDir: resolve(flags.run), done: () => {} };
  const runDir = orFail(materializeRun(flags.pretrained!));
  return { runDir, done: () => removeMaterialized(runDir) };
};

const serveCommand = async (flags: { run?: string; pretrained?: string; port: string; host: string; backend?: string }) => {
  const { runDir, done } = runOrPretrained(flags);
  try {
    await serveFolder(runDir, flags);
  } finally {
    done();
  }
};

const serveFolder = async (runDir: string, flags: { port: string; host: string; backend?: string }) => {
  await startBackend(flags.backend);
  const { serveRun } = await import('./serve.js');
  orFail(E.map(() => undefined)(loadLatestCheckpoint(runDir)));
  const h = await serveRun({ runDir, port: port(flags.port), host: flags.host, dataImages: heldOutImages });
  log(`serving ${runDir} at ${h.url} (Ctrl-C to stop)`);
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await h.close();
  log('stopped');
};

const exportCommand = async (flags: { run?: string; pretrained?: string; out: string }) => {
  const { exportSite } = await import('./export.js');
  const { runDir, done } = runOrPretrained(flags);
  const site = await exportSite(runDir, resolve(flags.out)).finally(done);
  orFail(site);
  if (E.isLeft(site)) return;
  log(`exported ${flags.run ?? `pretrained ${flags.pretrained}`} (step ${site.right.step}) to ${site.right.outDir}: ${site.right.files.length} files; serve it with any file server, e.g. python3 -m http.server -d ${flags.out}`);
};

/** --likelihood (softmax is the categorical kind) and --mixture-components as a likelihood spec. */
const likelihoodFlag = (flags: Pick<TrainFlags, 'likelihood' | 'mixtureComponents'>): LikelihoodSpec | undefined => {
  if (flags.likelihood === undefined) {
    if (flags.mixtureComponents !== undefined) return usage('--mixture-components: expected only with --likelihood logistic-mixture, found it without');
    return undefined;
  }
  const kind = flags.likelihood === 'softmax' ? 'categorical' : flags.likelihood;
  const kinds = likelihoodKinds().map((k) => k.kind);
  if (!kinds.includes(kind)) return usage(`--likelihood: expected ${['softmax', ...kinds].join(' | ')}, found '${flags.likelihood}'`);
  if (kind === 'logistic-mixture') return { kind, components: flags.mixtureComponents ?? 10 };
  if (flags.mixtureComponents !== undefined) return usage(`--mixture-components: expected only with --likelihood logistic-mixture, found --likelihood ${flags.likelihood}`);
  return { kind };
};

/** SIGINT/SIGTERM while `work` runs: the first ends the run cleanly (every phase watches it), a second aborts. */
const withSignals = async <A>(work: (interrupt: { requested: boolean; signal?: string }) => Promise<A>): Promise<A> => {
  const interrupt: { requested: boolean; signal?: string } = { requested: false };
  const onSignal = (sig: string) => {
    if (interrupt.requested) process.exit(130);
    interrupt.requested = true;
    interrupt.signal = sig;
    log(`\n${sig}: finishing the current step or batch, keeping what is done, then stopping (again to abort)`);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await work(interrupt);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
};

const trainCommand = async (flags: TrainFlags) => {
  const { model, config, onNan, timeLimit, workers, backend, out, resume, progress, json, likelihood: _l, mixtureComponents: _m, conditional, nrResnet, nrFilters, dropout, ...fields } = flags;
  // PixelCNN++'s sizes as spec fields (another family's spec refuses them by name)
  const ppGiven = ([['--nr-resnet', 'nrResnet', nrResnet], ['--nr-filters', 'nrFilters', nrFilters], ['--dropout', 'dropout', dropout]] as const).filter(([, , v]) => v !== undefined);
  const ppFields = Object.fromEntries(ppGiven.map(([, field, v]) => [field, v]));
  const ppFlags = ppGiven.map(([flag]) => flag);
  if (ppFlags.length && model !== undefined && model !== 'pixelcnn++') usage(`${ppFlags.join(', ')}: expected only with --model pixelcnn++, found --model ${model}`);
  if (ppFlags.length && model === undefined && !resume && config === undefined) usage(`${ppFlags.join(', ')}: expected only with --model pixelcnn++, found no --model (the default is ${DEFAULT_FAMILY})`);
  const likelihood = likelihoodFlag(flags);
  const servePort = flags.serve === undefined ? undefined : flags.serve === true ? 8080 : port(String(flags.serve));
  // --serve: the dashboard on the run folder while it trains (closed when the run ends).
  const onFolderReady =
    servePort === undefined
      ? undefined
      : async (outDir: string, heldOut: readonly Uint8Array[]) => {
          const { serveRun } = await import('./serve.js');
          const h = await serveRun({ runDir: outDir, port: servePort, dataImages: async () => heldOut.slice(0, 16) });
          log(`serving ${outDir} at ${h.url} while it trains`);
          return () => h.close();
        };
  const result = await withSignals((interrupt) =>
    run(
      {
        flags: { ...fields, ...(onNan ? { onNonFinite: onNan } : {}) },
        ...(model !== undefined ? { family: model } : {}),
        ...(config !== undefined ? { configFile: config } : {}),
        ...(out !== undefined ? { out } : {}),
        resume: resume ?? false,
        ...(timeLimit !== undefined ? { timeLimitSeconds: timeLimit } : {}),
        ...(workers !== undefined ? { workers } : {}),
        ...(backend !== undefined ? { backend } : {}),
        showProgress: progress,
        ...(likelihood ? { likelihood } : {}),
        ...(conditional ? { conditional: true } : {}),
        ...(Object.keys(ppFields).length ? { modelFields: ppFields } : {}),
      },
      { log, interrupt, ...(onFolderReady ? { onFolderReady } : {}) },
    )(),
  );
  if (E.isLeft(result)) return fail(result.left);
  if (json) process.stdout.write(`${JSON.stringify(result.right.report, null, 2)}\n`);
};

/** Exactly one of --checkpoint, --run, --pretrained (a usage error otherwise). */
const MODEL_SOURCES = 'expected --checkpoint PATH, --run DIR or --pretrained NAME';
const checkModelSource = (opts: { checkpoint?: string; run?: string; pretrained?: string }): void => {
  const given = (['checkpoint', 'run', 'pretrained'] as const).filter((k) => opts[k] !== undefined);
  if (given.length === 0) usage(`${MODEL_SOURCES}, found none`);
  if (given.length > 1) usage(`${MODEL_SOURCES} (one of them), found ${given.map((k) => `--${k}`).join(' and ')}`);
};

/** A checkpoint named directly, the last one of a run folder, or a pretrained model of the package. */
const loadModelFrom = (opts: { checkpoint?: string; run?: string; pretrained?: string }): { contents: CheckpointContents; path: string } => {
  if (opts.pretrained) {
    const { dir } = orFail(resolvePretrained(opts.pretrained));
    return { contents: orFail(loadCheckpoint(dir)), path: dir };
  }
  if (opts.checkpoint) return { contents: orFail(loadCheckpoint(opts.checkpoint)), path: opts.checkpoint };
  if (!opts.run) return usage(`${MODEL_SOURCES}, found none`);
  const latest = orFail(loadLatestCheckpoint(opts.run));
  if (O.isNone(latest)) return fail(new Error(`${opts.run}: expected a run folder with checkpoints, found none`));
  return latest.value;
};

interface EvalFlags {
  checkpoint?: string;
  run?: string;
  pretrained?: string;
  data?: string;
  binarize?: BinarizeMode;
  limit?: number;
  batchSize: number;
  backend?: string;
  out?: string;
  progress: boolean;
  seed: number;
  weights?: 'average' | 'raw';
}

const evalCommand = async (flags: EvalFlags) => {
  checkModelSource(flags);
  if (flags.out) orFail(checkEvalOut(resolve(flags.out), 'eval-report.json'));
  const backend = await startBackend(flags.backend);
  const { contents, path } = loadModelFrom(flags);
  const run = decodeRunConfig(contents.run, `${path}: run`);
  const data = flags.data ?? (E.isRight(run) ? run.right.testData ?? heldOutSource(run.right.data, run.right.binarize) ?? run.right.data : undefined);
  if (!data) return fail(new Error(`--data: expected ${DATA_HELP}, found nothing (and the checkpoint names no data)`));
  const mode = flags.binarize ?? (E.isRight(run) ? run.right.binarize : 'none');
  let set = orFail(await readSource(data));
  set = orFail(binarization(mode, flags.seed).fixed(set));
  if (flags.limit) set = { ...set, records: set.records.slice(0, flags.limit) };
  const s = contents.spec;
  if (set.shape.height !== s.height || set.shape.width !== s.width || set.shape.channels !== s.channels || set.shape.levels !== s.levels) {
    disposeCheckpoint(contents);
    return fail(new Error(`${data}: expected ${s.height}×${s.width}×${s.channels} images with ${s.levels} levels (the model's), found ${set.shape.height}×${set.shape.width}×${set.shape.channels} with ${set.shape.levels} levels`));
  }
  if (set.records.length === 0) {
    disposeCheckpoint(contents);
    return fail(new Error(`${data}: expected at least one image to evaluate, found none`));
  }
  const heap = await checkEvaluationHeap(s, Math.min(flags.batchSize, set.records.length), 1, backend);
  if (E.isLeft(heap)) {
    disposeCheckpoint(contents);
    return fail(new Error(heap.left.message.replace('--eval-batch-size', '--batch-size')));
  }
  const weights = modelWeights(contents, flags.weights); // the weight average where the checkpoint has one
  const model = bindModel(contents.spec, weights.params);
  const started = performance.now();
  const ev = await evaluateSet(model, set, { batchSize: flags.batchSize, showProgress: flags.progress }).finally(() => disposeCheckpoint(contents));
  const report = { command: 'eval', backend, checkpoint: path, data: set.name, weights: weights.description, ...ev, seconds: (performance.now() - started) / 1000 };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (flags.out) orFail(writeReport(resolve(flags.out), 'eval-report.json', report));
};

interface SampleFlags {
  checkpoint?: string;
  run?: string;
  pretrained?: string;
  count: number;
  batchSize?: number;
  seed: number;
  temperature: number;
  out: string;
  live?: boolean;
  naive?: boolean;
  complete?: string;
  keepRows?: number;
  backend?: string;
  class?: string;
  weights?: 'average' | 'raw';
}

/** --class as a label: a class index or one of the run's class names; required by a conditional model. */
const classFlag = (flag: string | undefined, contents: CheckpointContents, path: string): number | undefined => {
  const classes = contents.spec.classes ?? 0;
  if (classes === 0) {
    if (flag !== undefined) return usage(`--class: expected none (${path} is not class-conditional), found '${flag}'`);
    return undefined;
  }
  const run = decodeRunConfig(contents.run, `${path}: run`);
  const names = E.isRight(run) ? run.right.classNames ?? [] : [];
  const list = names.length ? ` (${names.map((n, k) => `${k} = ${n}`).join(', ')})` : '';
  if (flag === undefined) return usage(`--class: expected a class in 0..${classes - 1}${list} (${path} is class-conditional), found none`);
  const byName = names.indexOf(flag);
  const n = byName >= 0 ? byName : /^\d+$/.test(flag) ? Number(flag) : NaN;
  if (!(Number.isInteger(n) && n >= 0 && n < classes)) return usage(`--class: expected a class in 0..${classes - 1}${list}, found '${flag}'`);
  return n;
};

const sampleCommand = async (flags: SampleFlags) => {
  checkModelSource(flags);
  if (flags.complete && flags.keepRows === undefined) return usage('--keep-rows: expected an integer with --complete, found nothing');
  if (!flags.complete && flags.keepRows !== undefined) return usage('--keep-rows: expected only with --complete, found it without');
  orFail(checkSampleOut(resolve(flags.out)));
  const backend = await startBackend(flags.backend);
  const { contents, path } = loadModelFrom(flags);
  const spec = contents.spec;
  let label: number | undefined;
  try {
    label = classFlag(flags.class, contents, path);
  } catch (e) {
    disposeCheckpoint(contents);
    throw e;
  }
  let known: Uint8Array[] | undefined;
  if (flags.complete) {
    const bytes = readFileBounded(flags.complete, 64 << 20, 'a PNG file');
    const png = E.isLeft(bytes) ? bytes : decodePng(bytes.right, flags.complete);
    const grid = E.chain((p: Parameters<typeof splitGrid>[0]) => splitGrid(p, spec, flags.complete!))(png);
    if (E.isLeft(grid)) disposeCheckpoint(contents);
    known = orFail(grid);
    if (known.length > MAX_SAMPLES) {
      disposeCheckpoint(contents);
      return fail(new Error(`${flags.complete}: expected at most ${MAX_SAMPLES} images to complete, found a grid of ${known.length}`));
    }
    if (flags.keepRows! > spec.height) {
      disposeCheckpoint(contents);
      return usage(`--keep-rows: expected an integer in 0..${spec.height} (the model's height), found ${flags.keepRows}`);
    }
  }
  const weights = modelWeights(contents, flags.weights); // the weight average where the checkpoint has one
  const model = bindModel(spec, weights.params);
  const count = known ? known.length : flags.count;
  let lastDraw = 0;
  const live = flags.live && process.stderr.isTTY ? new Map<number, Uint8Array>() : null;
  const { renderLive } = await import('../src/sampling/liveView.js');
  const onEvent = live
    ? (e: import('../src/sampling/types.js').SampleEvent) => {
        if (e.kind !== 'value' || e.image !== 0) return;
        const img = live.get(0) ?? (known ? Uint8Array.from(known[0]!) : new Uint8Array(spec.height * spec.width * spec.channels));
        img[(e.row * spec.width + e.col) * spec.channels + e.channel] = e.value;
        live.set(0, img);
        if (Date.now() - lastDraw > 50 || (e.row === spec.height - 1 && e.col === spec.width - 1)) {
          lastDraw = Date.now();
          process.stderr.write(`\x1b[H\x1b[2J${renderLive(img, spec, { row: e.row, col: e.col })}\n`);
        }
      }
    : undefined;
  const sampled = await collectSamples(
    model,
    {
      count,
      seed: flags.seed,
      temperature: flags.temperature,
      cached: !flags.naive,
      ...(flags.batchSize ? { batchSize: flags.batchSize } : {}),
      ...(known ? { known, keepRows: flags.keepRows! } : {}),
      ...(label !== undefined ? { labels: label } : {}),
    },
    onEvent,
  );
  disposeCheckpoint(contents);
  // Completion: originals and completions side by side (original, completion per row).
  const images = known ? known.flatMap((k, i) => [k, sampled.images[i]!]) : sampled.images;
  const file = orFail(writeGrid(resolve(flags.out), images, spec, known ? 2 : undefined));
  log(`${count} ${known ? 'completions' : 'samples'} in ${sampled.seconds.toFixed(2)} s → ${file}`);
  process.stdout.write(`${JSON.stringify({ command: 'sample', backend, checkpoint: path, count, seconds: sampled.seconds, file, weights: weights.description, seed: flags.seed, temperature: flags.temperature, cached: !flags.naive }, null, 2)}\n`);
};

/**
 * A PNG of one image, or a grid of images as `sample` writes them (each scaled by an integer factor,
 * 1-px separators), into images of the model's shape.
 */
const splitGrid = (
  png: { width: number; height: number; channels: number; pixels: Uint8Array },
  spec: ModelSpec,
  file: string,
): E.Either<Error, Uint8Array[]> => {
  const { height: h, width: w, channels: c, levels } = spec;
  if (png.channels !== c) return E.left(new Error(`${file}: expected ${c === 1 ? 'a greyscale' : 'an RGB'} PNG, found ${png.channels} channels`));
  const fits = (size: number, cell: number) => (size + 1) % (cell + 1) === 0;
  const scale = [1, 2, 3, 4, 5, 6, 7, 8].find((s) => fits(png.width, w * s) && fits(png.height, h * s));
  if (scale === undefined)
    return E.left(new Error(`${file}: expected a ${w}×${h} image or a grid of them (as sample writes), found ${png.width}×${png.height}`));
  const cols = (png.width + 1) / (w * scale + 1);
  const rows = (png.height + 1) / (h * scale + 1);
  const out: Uint8Array[] = [];
  for (let r = 0; r < rows; r++)
    for (let q = 0; q < cols; q++) {
      const img = new Uint8Array(h * w * c);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let k = 0; k < c; k++) {
            const py = r * (h * scale + 1) + y * scale;
            const px = q * (w * scale + 1) + x * scale;
            const v = png.pixels[(py * png.width + px) * c + k]!;
            img[(y * w + x) * c + k] = Math.round((v * (levels - 1)) / 255);
          }
      out.push(img);
    }
  return E.right(out);
};

/** Images one `sample` run draws at most (a count of 10⁹ is an error, not a day of work). */
export const MAX_SAMPLES = 4096;

const SEED = [0, RANGES.seed!.max] as const;

export const buildProgram = (): Command => {
  const program = new Command('pixelstreams')
    .description('Autoregressive image models (PixelCNN, PixelRNN) as typed RxJS pipelines over TensorFlow.js')
    .showHelpAfterError()
    .exitOverride();
  const backendOption = () =>
    new Option('--backend <name>', `TensorFlow.js backend (default: best that loads; env PIXELSTREAMS_BACKEND)`).choices([...BACKENDS, 'auto']);
  const families = familyNames();
  const presets = presetNames();

  program
    .command('train')
    .description('train a model, evaluate it on held-out images, sample, and write a report')
    .option('--data <source>', `${DATA_HELP} (default mnist). ${MNIST_HELP}`)
    .option('--test-data <source>', 'evaluate on these images instead of a held-out part of --data')
    .addOption(new Option('--binarize <mode>', 'binarize 8-bit images (stochastic: resampled every epoch; default none)').choices(['none', 'threshold', 'stochastic']))
    .addOption(new Option('--model <family>', `model family (default ${DEFAULT_FAMILY})`).choices(families))
    .option('--preset <name>', `size preset (default ${DEFAULT_PRESET}); family/preset pairs: ${presets.join(', ')}`)
    .option('--config <file>', 'JSON run config (any field below; "model" overrides spec fields); flags override it')
    .option('--steps <n>', 'training steps (default 300)', ranged('--steps', 'steps'))
    .option('--batch-size <n>', 'images per step (default 16)', ranged('--batch-size', 'batchSize'))
    .addOption(new Option('--optimizer <name>', 'optimizer (default rmsprop, as in the paper)').choices(['rmsprop', 'adam']))
    .option('--lr <rate>', 'learning rate (default 1e-3)', ranged('--lr', 'optimizer.learningRate'))
    .addOption(new Option('--lr-schedule <kind>', 'learning rate per step: constant; exponential lr·γ^step (--lr-decay); cosine or linear from lr to lr·--lr-floor at --steps, or, under --time-limit, at the step the limit allows: the step time measured over the first 5% of the limit gives that step (planning for 95% of the limit), which is then fixed, recorded in the checkpoint (a resume keeps it) and ends training. Default constant, exponential with --lr-decay').choices(['constant', 'exponential', 'cosine', 'linear']))
    .option('--lr-decay <gamma>', 'exponential schedule: the rate is multiplied by γ each step (PixelCNN++: 0.999995, the default)', ranged('--lr-decay', 'lrDecay'))
    .option('--lr-floor <fraction>', 'cosine/linear schedule: the final rate as a fraction of --lr (default 0)', ranged('--lr-floor', 'lrFloor'))
    .option('--ema <decay>', 'keep an exponential moving average of the weights (PixelCNN++: 0.9995), with the warm-up decay_t = min(decay, (1+t)/(10+t)); eval, sample, serve and export then use the average (default off)', ranged('--ema', 'ema'))
    .addOption(new Option('--ema-warmup <on|off>', 'the average\'s warm-up (default on; off: a plain EMA that starts at the initial weights)').choices(['on', 'off']).argParser((v) => { if (v !== 'on' && v !== 'off') throw new InvalidArgumentError(`--ema-warmup: expected on or off, found '${v}'`); return v === 'on'; }))
    .option('--seed <n>', 'seed for weights, data order, binarization and samples (default 1)', ranged('--seed', 'seed'))
    .option('--validation <n>', 'images held out of --data for evaluation (default 1000; not for --data mnist, which holds out its official test set)', ranged('--validation', 'validation'))
    .option('--limit <n>', 'use only the first N training images', ranged('--limit', 'limit'))
    .option('--eval-limit <n>', 'evaluate at most N held-out images', ranged('--eval-limit', 'evalLimit'))
    .option('--eval-batch-size <n>', `images per evaluation batch (default ${DEFAULT_EVAL_BATCH})`, ranged('--eval-batch-size', 'evalBatchSize'))
    .option('--checkpoint-every <n>', 'steps between checkpoints; one is always written at the end (default 100)', ranged('--checkpoint-every', 'checkpointEvery'))
    .option('--keep <n>', 'checkpoints kept (default 3)', ranged('--keep', 'keep'))
    .addOption(new Option('--on-nan <policy>', 'a non-finite loss or gradient stops training, or skips the batch').choices(['stop', 'skip']))
    .option('--samples <n>', 'images sampled at the end (default 16)', ranged('--samples', 'samples'))
    .option('--temperature <t>', 'sampling temperature (default 1)', ranged('--temperature', 'temperature'))
    .option('--time-limit <seconds>', 'stop training after this long (a checkpoint is written). A new run gets the recipe that budget allows unless flags or --config say otherwise: no --steps cap, RMSProp 1e-3 on a cosine schedule to the step the limit allows, --ema 0.9995, --batch-size 32, and from 600 s on the family’s larger size where it has one (PixelCNN --preset reference, Row LSTM and Diagonal BiLSTM --preset mnist)', num('--time-limit', 0, 1e9))
    .option('--workers <n>', 'data-parallel worker threads; 1 trains in-process (default: one per core on wasm and cpu, 1 on tensorflow)', int('--workers', 1, 256))
    .option('--likelihood <kind>', `the output distribution: ${['softmax', ...likelihoodKinds().map((k) => k.kind).filter((k) => k !== 'categorical')].join(' | ')} (default: bernoulli for binarized data, softmax otherwise)`)
    .option('--mixture-components <n>', 'components of --likelihood logistic-mixture (default 10)', int('--mixture-components', 1, 64))
    .option('--nr-resnet <n>', 'pixelcnn++: gated ResNet blocks per stage (tiny 1, small 2, paper 5)', int('--nr-resnet', 1, 64))
    .option('--nr-filters <n>', 'pixelcnn++: feature maps of both streams (tiny 16, small 32, paper 160)', int('--nr-filters', 1, 16384))
    .option('--dropout <p>', 'pixelcnn++: dropout in every block while training, in [0, 1) (paper 0.5)', num('--dropout', 0, 0.999999))
    .option('--conditional', "class-conditional on the data's labels (mnist, cifar10, idx:IMAGES,LABELS, png:DIR with one subfolder per class)")
    .option('--serve [port]', 'serve the live dashboard on 127.0.0.1 while training (default port 8080)')
    .addOption(backendOption())
    .option('--out <dir>', 'run folder: new, empty, or a pixelstreams run (default runs/<time>)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'also print the report as JSON on stdout')
    .action(trainCommand);

  program
    .command('eval')
    .description('mean NLL (nats) and bits/dim of a checkpoint on a data set')
    .option('--checkpoint <path>', 'checkpoint folder (…/checkpoints/step-N)')
    .option('--run <dir>', 'a run folder: its last checkpoint')
    .option('--pretrained <name>', 'a pretrained model shipped in the package (pixelstreams pretrained lists them)')
    .option('--data <source>', `${DATA_HELP} (default: the run's held-out source: its --test-data, mnist's official test set, else its training data)`)
    .addOption(new Option('--binarize <mode>', "default: the run's").choices(['none', 'threshold', 'stochastic']))
    .option('--limit <n>', 'evaluate the first N images', int('--limit', 1))
    .option('--batch-size <n>', 'images per batch', int('--batch-size', 1, 4096), 64)
    .option('--seed <n>', 'seed for stochastic binarization', int('--seed', ...SEED), 2)
    .option('--out <dir>', 'also write eval-report.json there (not inside a checkpoint)')
    .addOption(new Option('--weights <which>', 'average: the weight average where the run kept one (--ema), else the weights (default); raw: the last update\'s weights').choices(['average', 'raw']))
    .addOption(backendOption())
    .option('--no-progress', 'no progress bar')
    .action(evalCommand);

  program
    .command('sample')
    .description('sample images (or complete given ones) into a PNG grid')
    .option('--checkpoint <path>', 'checkpoint folder (…/checkpoints/step-N)')
    .option('--run <dir>', 'a run folder: its last checkpoint')
    .option('--pretrained <name>', 'a pretrained model shipped in the package (pixelstreams pretrained lists them)')
    .option('--count <n>', `images to sample (at most ${MAX_SAMPLES})`, int('--count', 1, MAX_SAMPLES), 16)
    .option('--batch-size <n>', 'images sampled together (default min(count, 16))', int('--batch-size', 1, MAX_SAMPLES))
    .option('--seed <n>', 'seed', int('--seed', ...SEED), 1)
    .option('--temperature <t>', "sharpens (< 1) or flattens (> 1) every draw as the model's likelihood states (softmax: logits divided by it); 0 = the most likely value", ranged('--temperature', 'temperature'), 1)
    .option('--out <file>', 'PNG file (replaces only a PNG pixelstreams wrote; never inside a checkpoint)', 'samples.png')
    .option('--live', 'draw the first image filling in, in the terminal')
    .option('--naive', 'rerun the whole network for every value (reference sampler)')
    .option('--complete <png>', 'complete these images (one image or a grid written by sample)')
    .option('--keep-rows <n>', 'with --complete: rows kept from the images', int('--keep-rows', 0, 1 << 16))
    .option('--class <n|name>', 'the class to sample, for a class-conditional model (an index or one of its class names)')
    .addOption(new Option('--weights <which>', 'average: the weight average where the run kept one (--ema), else the weights (default); raw: the last update\'s weights').choices(['average', 'raw']))
    .addOption(backendOption())
    .action(sampleCommand);

  program
    .command('serve')
    .description('a local dashboard for a run: curves, live samples streamed value by value, completion, sampling in the browser')
    .option('--run <dir>', 'the run folder')
    .option('--pretrained <name>', 'a pretrained model shipped in the package, instead of --run')
    .option('--port <n>', 'TCP port (0: any free one)', '8080')
    .option('--host <address>', 'address to bind (anything but 127.0.0.1 exposes the run to the network)', '127.0.0.1')
    .addOption(backendOption())
    .action(serveCommand);

  program
    .command('export')
    .description("a self-contained static site (HTML, one script, the run's last checkpoint) that samples in any browser")
    .option('--run <dir>', 'the run folder')
    .option('--pretrained <name>', 'a pretrained model shipped in the package, instead of --run')
    .requiredOption('--out <dir>', 'a new or empty folder')
    .action(exportCommand);

  program
    .command('pretrained')
    .description('the pretrained models shipped in the package, with their figures on held-out data and the command that made each')
    .action(() => {
      process.stdout.write(`${pretrainedListing().join('\n')}\n`);
    });

  return program;
};

export const main = async (argv: string[]): Promise<number> => {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    // commander has written its message already; every one of its errors is a usage error.
    if (err.code?.startsWith('commander.')) return 2;
    process.stderr.write(`error: ${err.message}\n`);
    if (!(err instanceof CliError) && process.env.PIXELSTREAMS_DEBUG) process.stderr.write(`${err.stack}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
};

// Run when executed directly (tsx pipelines/cli.ts …, node dist/pipelines/cli.js …);
// bin/pixelstreams.js calls main itself.
if (/pipelines[/\\]cli\.[jt]s$/.test(process.argv[1] ?? '')) {
  main(process.argv).then((code) => process.exit(code));
}
