#!/usr/bin/env node
// The command line: train, eval, sample. Flags are decoded into typed configs at this edge; every
// error reaches the user here as one message naming the file or field, with a non-zero exit.

import { Command, InvalidArgumentError, Option } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import * as O from 'fp-ts/lib/Option.js';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { selectBackend, BACKENDS, type BackendInfo } from '../src/backend.js';
import { loadCheckpoint, loadLatestCheckpoint, disposeCheckpoint, type CheckpointContents } from '../src/checkpoint/checkpoint.js';
import { decodePng } from '../src/data/png.js';
import type { ImageSet } from '../src/data/records.js';
import { bindModel, decodeSpec, presetNames, presetFor, type ModelSpec } from '../src/models/registry.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { decodeRunConfig, type RunConfig } from './config.js';
import { binarization, DATA_HELP, readSource, type BinarizeMode } from './data.js';
import { evaluateSet } from './evaluate.js';
import { writeReport } from './report.js';
import { collectSamples, writeGrid } from './sample.js';
import { prepareData, runTraining, type StopSignal } from './train.js';
import type { GradientEngine } from '../src/train/engine.js';

class CliError extends Error {}

const fail = (e: Error): never => {
  throw new CliError(e.message);
};
const orFail = <A>(r: E.Either<Error, A>): A => (E.isLeft(r) ? fail(r.left) : r.right);

const int = (name: string, min = 0) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name}: expected an integer ≥ ${min}, found '${v}'`);
  return n;
};
const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name}: expected a number, found '${v}'`);
  return n;
};

const log = (line: string) => process.stderr.write(`${line}\n`);

const startBackend = async (requested?: string): Promise<BackendInfo> => {
  const info = orFail(await selectBackend(requested));
  log(`backend: ${info.name} (${info.detail})`);
  return info;
};

const timestamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return fail(new Error(`${file}: expected a JSON file, found ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `invalid JSON (${(e as Error).message})`}`));
  }
};

interface TrainFlags {
  data: string;
  testData?: string;
  binarize: BinarizeMode;
  model: string;
  preset: string;
  config?: string;
  steps?: number;
  batchSize?: number;
  optimizer?: 'rmsprop' | 'adam';
  lr?: number;
  seed?: number;
  validation?: number;
  limit?: number;
  evalLimit?: number;
  checkpointEvery?: number;
  keep?: number;
  onNan?: 'stop' | 'skip';
  samples?: number;
  temperature?: number;
  timeLimit?: number;
  workers?: number;
  backend?: string;
  out?: string;
  resume?: boolean;
  progress: boolean;
  json?: boolean;
}

/** defaults < --config file < flags; the model spec from the preset for the data's image shape. */
const buildRunConfig = (flags: TrainFlags, fileConfig: Record<string, unknown>): RunConfig => {
  const pick = <K extends keyof TrainFlags>(k: K) => (flags[k] !== undefined ? { [k]: flags[k] } : {});
  const optimizerName = flags.optimizer ?? ((fileConfig.optimizer as { name?: string } | undefined)?.name as 'adam' | 'rmsprop' | undefined) ?? 'rmsprop';
  const raw = {
    data: flags.data,
    binarize: flags.binarize,
    model: {},
    steps: 300,
    batchSize: 16,
    seed: 1,
    validation: 1000,
    checkpointEvery: 100,
    keep: 3,
    onNonFinite: 'stop',
    samples: 16,
    temperature: 1,
    ...fileConfig,
    optimizer: { ...defaultOptimizer(optimizerName, flags.lr), ...((fileConfig.optimizer as object) ?? {}), ...(flags.lr !== undefined ? { learningRate: flags.lr } : {}), name: optimizerName },
    ...pick('steps'),
    ...pick('batchSize'),
    ...pick('seed'),
    ...pick('validation'),
    ...pick('limit'),
    ...pick('evalLimit'),
    ...pick('checkpointEvery'),
    ...pick('keep'),
    ...pick('samples'),
    ...pick('temperature'),
    ...pick('testData'),
    ...(flags.onNan ? { onNonFinite: flags.onNan } : {}),
  };
  return orFail(decodeRunConfig(raw, flags.config ?? 'options'));
};

const resolveSpec = (flags: TrainFlags, cfg: RunConfig, shape: ImageSet['shape']): ModelSpec => {
  const preset = presetFor(flags.model, flags.preset);
  if (E.isLeft(preset))
    return fail(new Error(`--model/--preset: ${preset.left.message} (every pair: ${presetNames().join(', ')})`));
  const base = preset.right({ height: shape.height, width: shape.width, channels: shape.channels as 1 | 3, levels: shape.levels });
  return orFail(decodeSpec({ ...base, ...(cfg.model as object) }, flags.config ? `${flags.config}: model` : 'model'));
};

/** Worker threads when --workers is not given: one per core where the backend itself runs on one
 *  thread (wasm, cpu); tensorflow's native kernels use every core already. */
export const defaultWorkers = (backend: BackendInfo): number => (backend.engine === 'tensorflow' ? 1 : availableParallelism());

/** The gradient engine for --workers: none (in-process) for 1, else that many worker threads. */
const makeEngine = async (workers: number | undefined, backend: BackendInfo): Promise<GradientEngine | undefined> => {
  const count = workers ?? defaultWorkers(backend);
  if (count <= 1) return undefined;
  const { workerEngine } = await import('../src/train/workers.js');
  return workerEngine({ workers: count, backend: backend.name });
};

/** Flags given on the command line that contradict the run being resumed. */
const resumeConflicts = (flags: TrainFlags, given: (name: string) => boolean, stored: RunConfig, storedSpec: ModelSpec): string[] => {
  const out: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const check = (flag: string, key: keyof TrainFlags & keyof RunConfig) => {
    if (given(key) && !same(flags[key], stored[key])) out.push(`${flag}: the run was trained with ${JSON.stringify(stored[key])}, found ${JSON.stringify(flags[key])}`);
  };
  check('--data', 'data');
  check('--binarize', 'binarize');
  check('--seed', 'seed');
  check('--batch-size', 'batchSize');
  if (given('model') || given('preset')) {
    const preset = presetFor(flags.model, flags.preset);
    const wanted = E.isRight(preset) && preset.right({ height: storedSpec.height, width: storedSpec.width, channels: storedSpec.channels as 1 | 3, levels: storedSpec.levels });
    if (!same(wanted, storedSpec)) out.push(`--model/--preset: the run's model is ${JSON.stringify(storedSpec)}, found ${flags.model}/${flags.preset}`);
  }
  if (given('config')) out.push('--config: a resumed run keeps its stored config; only --steps and run-time options may change');
  return out;
};

const trainCommand = async (flags: TrainFlags, command: Command) => {
  const given = (name: string) => command.getOptionValueSource(name) === 'cli';
  const backend = await startBackend(flags.backend);
  const outDir = resolve(flags.out ?? join('runs', timestamp()));
  // On --resume, the run's own config (from its last checkpoint) is the base: the data order,
  // seeds and model must be those of the run being continued. Flags may extend --steps.
  let fileConfig: Record<string, unknown> = flags.config ? (readJson(flags.config) as Record<string, unknown>) : {};
  if (flags.resume) {
    const latest = orFail(loadLatestCheckpoint(outDir));
    if (O.isSome(latest)) {
      const stored = orFail(decodeRunConfig(latest.value.contents.run, `${latest.value.path}: run`));
      const conflicts = resumeConflicts(flags, given, stored, latest.value.contents.spec);
      if (conflicts.length > 0) {
        disposeCheckpoint(latest.value.contents);
        fail(new Error(`${outDir}: cannot resume with different settings (${conflicts.join('; ')})`));
      }
      fileConfig = { ...stored, model: latest.value.contents.spec };
      flags = { ...flags, data: stored.data, binarize: stored.binarize };
      disposeCheckpoint(latest.value.contents);
    }
  }
  const cfg = buildRunConfig(flags, fileConfig);
  const sets = orFail(await prepareData(cfg));
  const spec = resolveSpec(flags, cfg, { ...sets.train.shape, levels: sets.transform?.levels ?? sets.train.shape.levels });
  log(`model: ${spec.family} ${JSON.stringify(spec)}`);
  log(`data: ${sets.train.records.length} training images (${sets.train.name}), ${sets.heldOut.records.length} held out (${sets.heldOut.name})`);
  log(`run: ${outDir}`);

  const stop: StopSignal = { requested: false };
  const onSignal = (sig: string) => {
    if (stop.requested) process.exit(130);
    stop.requested = true;
    log(`\n${sig}: finishing the current step, writing a checkpoint, then stopping (again to abort)`);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  const engine = await makeEngine(flags.workers, backend);
  log(`gradients: ${engine ? engine.description : 'in-process'}${engine ? ' (--workers 1 trains in-process)' : ''}`);
  const t0 = performance.now();
  const trained = await runTraining(cfg, spec, sets, {
    outDir,
    resume: flags.resume ?? false,
    showProgress: flags.progress,
    stop,
    log,
    ...(engine ? { engine } : {}),
    ...(flags.timeLimit !== undefined ? { timeLimitSeconds: flags.timeLimit } : {}),
  }).finally(() => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    return engine?.close();
  });
  const outcome = orFail(trained);
  log(`trained to step ${outcome.step} (${outcome.stoppedBy}): ${outcome.imagesPerSecond.toFixed(1)} img/s, last loss ${outcome.lastLoss.toFixed(2)} nats`);

  const report: Record<string, unknown> = {
    command: 'train',
    backend,
    workers: engine?.workers ?? 1,
    config: cfg,
    spec,
    data: { train: { name: sets.train.name, images: sets.train.records.length }, heldOut: { name: sets.heldOut.name, images: sets.heldOut.records.length } },
    training: outcome,
  };

  if (!stop.requested) {
    const ckpt = orFail(loadCheckpoint(outcome.checkpoint, { expectSpec: spec }));
    const model = bindModel(ckpt.spec, ckpt.params);
    try {
      const evalStarted = performance.now();
      const ev = await evaluateSet(model, sets.heldOut, { batchSize: 64, showProgress: flags.progress });
      report.evaluation = { ...ev, set: sets.heldOut.name, seconds: (performance.now() - evalStarted) / 1000 };
      log(`held-out NLL: ${ev.meanNll.toFixed(2)} nats per image, ${ev.bitsPerDim.toFixed(4)} bits/dim over ${ev.images} images`);
      if (cfg.samples > 0) {
        const sampled = await collectSamples(model, { count: cfg.samples, seed: cfg.seed, temperature: cfg.temperature });
        const file = orFail(writeGrid(join(outDir, 'samples.png'), sampled.images, spec));
        report.sampling = { count: cfg.samples, seconds: sampled.seconds, file };
        log(`samples: ${file} (${sampled.seconds.toFixed(1)} s)`);
      }
    } finally {
      disposeCheckpoint(ckpt);
    }
  }
  report.seconds = (performance.now() - t0) / 1000;
  const reportFile = orFail(writeReport(outDir, 'report.json', report));
  log(`report: ${reportFile}`);
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
};

/** A checkpoint named directly, or the last one of a run folder. */
const loadModelFrom = (opts: { checkpoint?: string; run?: string }): { contents: CheckpointContents; path: string } => {
  if (opts.checkpoint) return { contents: orFail(loadCheckpoint(opts.checkpoint)), path: opts.checkpoint };
  if (!opts.run) return fail(new Error('expected --checkpoint PATH or --run DIR, found neither'));
  const latest = orFail(loadLatestCheckpoint(opts.run));
  if (O.isNone(latest)) return fail(new Error(`${opts.run}: expected a run folder with checkpoints, found none`));
  return latest.value;
};

interface EvalFlags {
  checkpoint?: string;
  run?: string;
  data?: string;
  binarize?: BinarizeMode;
  limit?: number;
  batchSize: number;
  backend?: string;
  out?: string;
  progress: boolean;
  seed: number;
}

const evalCommand = async (flags: EvalFlags) => {
  const backend = await startBackend(flags.backend);
  const { contents, path } = loadModelFrom(flags);
  const run = decodeRunConfig(contents.run, `${path}: run`);
  const data = flags.data ?? (E.isRight(run) ? run.right.testData ?? run.right.data : undefined);
  if (!data) return fail(new Error(`--data: expected ${DATA_HELP}, found nothing (and the checkpoint names no data)`));
  const mode = flags.binarize ?? (E.isRight(run) ? run.right.binarize : 'none');
  let set = orFail(await readSource(data));
  set = orFail(binarization(mode, flags.seed).fixed(set));
  if (flags.limit) set = { ...set, records: set.records.slice(0, flags.limit) };
  const s = contents.spec;
  if (set.shape.height !== s.height || set.shape.width !== s.width || set.shape.channels !== s.channels || set.shape.levels !== s.levels)
    return fail(new Error(`${data}: expected ${s.height}×${s.width}×${s.channels} images with ${s.levels} levels (the model's), found ${set.shape.height}×${set.shape.width}×${set.shape.channels} with ${set.shape.levels} levels`));
  const model = bindModel(contents.spec, contents.params);
  const started = performance.now();
  const ev = await evaluateSet(model, set, { batchSize: flags.batchSize, showProgress: flags.progress });
  disposeCheckpoint(contents);
  const report = { command: 'eval', backend, checkpoint: path, data: set.name, ...ev, seconds: (performance.now() - started) / 1000 };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (flags.out) orFail(writeReport(resolve(flags.out), 'eval-report.json', report));
};

interface SampleFlags {
  checkpoint?: string;
  run?: string;
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
}

const sampleCommand = async (flags: SampleFlags) => {
  const backend = await startBackend(flags.backend);
  const { contents, path } = loadModelFrom(flags);
  const spec = contents.spec;
  let known: Uint8Array[] | undefined;
  if (flags.complete) {
    if (flags.keepRows === undefined) return fail(new Error('--keep-rows: expected an integer with --complete, found nothing'));
    const png = orFail(decodePng(readFileSync(flags.complete), flags.complete));
    known = orFail(splitGrid(png, spec, flags.complete));
  }
  const model = bindModel(spec, contents.params);
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
    },
    onEvent,
  );
  disposeCheckpoint(contents);
  // Completion: originals and completions side by side (original, completion per row).
  const images = known ? known.flatMap((k, i) => [k, sampled.images[i]!]) : sampled.images;
  const file = orFail(writeGrid(resolve(flags.out), images, spec, known ? 2 : undefined));
  log(`${count} ${known ? 'completions' : 'samples'} in ${sampled.seconds.toFixed(2)} s → ${file}`);
  process.stdout.write(`${JSON.stringify({ command: 'sample', backend, checkpoint: path, count, seconds: sampled.seconds, file, seed: flags.seed, temperature: flags.temperature, cached: !flags.naive }, null, 2)}\n`);
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

export const buildProgram = (): Command => {
  const program = new Command('pixelstreams')
    .description('Autoregressive image models (PixelCNN, PixelRNN) as typed RxJS pipelines over TensorFlow.js')
    .showHelpAfterError()
    .exitOverride();
  const backendOption = () =>
    new Option('--backend <name>', `TensorFlow.js backend (default: best that loads; env PIXELSTREAMS_BACKEND)`).choices([...BACKENDS, 'auto']);

  program
    .command('train')
    .description('train a model, evaluate it on held-out images, sample, and write a report')
    .option('--data <source>', DATA_HELP, 'mnist')
    .option('--test-data <source>', 'evaluate on these images instead of a held-out part of --data')
    .addOption(new Option('--binarize <mode>', 'binarize 8-bit images (stochastic: resampled every epoch)').choices(['none', 'threshold', 'stochastic']).default('none'))
    .option('--model <family>', 'model family', 'pixelcnn')
    .option('--preset <name>', 'size preset: tiny | small | reference | paper', 'small')
    .option('--config <file>', 'JSON run config (any field below; "model" overrides spec fields)')
    .option('--steps <n>', 'training steps (default 300)', int('--steps', 1))
    .option('--batch-size <n>', 'images per step (default 16)', int('--batch-size', 1))
    .addOption(new Option('--optimizer <name>', 'optimizer (default rmsprop, as in the paper)').choices(['rmsprop', 'adam']))
    .option('--lr <rate>', 'learning rate (default 1e-3)', num('--lr'))
    .option('--seed <n>', 'seed for weights, data order, binarization and samples (default 1)', int('--seed'))
    .option('--validation <n>', 'images held out of --data for evaluation (default 1000)', int('--validation'))
    .option('--limit <n>', 'use only the first N training images', int('--limit', 1))
    .option('--eval-limit <n>', 'evaluate at most N held-out images', int('--eval-limit', 1))
    .option('--checkpoint-every <n>', 'steps between checkpoints; one is always written at the end (default 100)', int('--checkpoint-every'))
    .option('--keep <n>', 'checkpoints kept (default 3)', int('--keep', 1))
    .addOption(new Option('--on-nan <policy>', 'a non-finite loss or gradient stops training, or skips the batch').choices(['stop', 'skip']))
    .option('--samples <n>', 'images sampled at the end (default 16)', int('--samples'))
    .option('--temperature <t>', 'sampling temperature (default 1)', num('--temperature'))
    .option('--time-limit <seconds>', 'stop training after this long (a checkpoint is written)', num('--time-limit'))
    .option('--workers <n>', 'data-parallel worker threads; 1 trains in-process (default: one per core on wasm and cpu, 1 on tensorflow)', int('--workers', 1))
    .addOption(backendOption())
    .option('--out <dir>', 'run folder (default runs/<time>)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'also print the report as JSON on stdout')
    .action(trainCommand);

  program
    .command('eval')
    .description('mean NLL (nats) and bits/dim of a checkpoint on a data set')
    .option('--checkpoint <path>', 'checkpoint folder (…/checkpoints/step-N)')
    .option('--run <dir>', 'a run folder: its last checkpoint')
    .option('--data <source>', `${DATA_HELP} (default: the run's test or training data)`)
    .addOption(new Option('--binarize <mode>', "default: the run's").choices(['none', 'threshold', 'stochastic']))
    .option('--limit <n>', 'evaluate the first N images', int('--limit', 1))
    .option('--batch-size <n>', 'images per batch', int('--batch-size', 1), 64)
    .option('--seed <n>', 'seed for stochastic binarization', int('--seed'), 2)
    .option('--out <dir>', 'also write eval-report.json there')
    .addOption(backendOption())
    .option('--no-progress', 'no progress bar')
    .action(evalCommand);

  program
    .command('sample')
    .description('sample images (or complete given ones) into a PNG grid')
    .option('--checkpoint <path>', 'checkpoint folder (…/checkpoints/step-N)')
    .option('--run <dir>', 'a run folder: its last checkpoint')
    .option('--count <n>', 'images to sample', int('--count', 1), 16)
    .option('--batch-size <n>', 'images sampled together (default min(count, 16))', int('--batch-size', 1))
    .option('--seed <n>', 'seed', int('--seed'), 1)
    .option('--temperature <t>', 'logits are divided by it; 0 = most likely value', num('--temperature'), 1)
    .option('--out <file>', 'PNG file', 'samples.png')
    .option('--live', 'draw the first image filling in, in the terminal')
    .option('--naive', 'rerun the whole network for every value (reference sampler)')
    .option('--complete <png>', 'complete these images (one image or a grid written by sample)')
    .option('--keep-rows <n>', 'with --complete: rows kept from the images', int('--keep-rows'))
    .addOption(backendOption())
    .action(sampleCommand);

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
    if (err.code?.startsWith('commander.')) return err.exitCode ?? 2;
    process.stderr.write(`error: ${err.message}\n`);
    if (!(err instanceof CliError) && process.env.PIXELSTREAMS_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
};

// Run when executed directly (tsx pipelines/cli.ts …, node dist/pipelines/cli.js …);
// bin/pixelstreams.js calls main itself.
if (/pipelines[/\\]cli\.[jt]s$/.test(process.argv[1] ?? '')) {
  main(process.argv).then((code) => process.exit(code));
}
