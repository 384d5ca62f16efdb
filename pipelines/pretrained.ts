// Pretrained models shipped inside the package: one folder per model,
//
//   pretrained/NAME/model.json, weights.bin   the final checkpoint of the run that made it, byte for
//                                             byte (TensorFlow.js weights format, our checkpoint format)
//   pretrained/NAME/report.json               that run's report (config, timings, figures)
//   pretrained/NAME/pretrained.json           the claim: the recipe (exact train arguments), the figure
//                                             on the whole held-out set, the figure on the first
//                                             `checkImages` of it (what the test suite re-measures), size
//   pretrained/NAME/samples.png               64 samples of the model (seed 1), loss.png its curves
//
// The recipes below are the registry: `npm run pretrain -- NAME` (scripts/pretrain.ts) runs the
// recipe's train command into runs/pretrain/NAME (resuming it when it is there), then writes the
// folder. `pixelstreams pretrained` lists them with their figures; eval, sample, serve and export
// take --pretrained NAME. Each model must fit PRETRAINED_BUDGET (pretrained.spec.ts checks it).

import * as E from 'fp-ts/lib/Either.js';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as t from 'io-ts';
import { checkpointsDir, stepDirName } from '../src/checkpoint/checkpoint.js';
import { MANIFEST_FILE, WEIGHTS_FILE } from '../src/checkpoint/manifest.js';
import { formatValidationErrors } from '../src/data/errors.js';
import { readJsonFile } from '../src/data/json.js';
import { mib } from '../src/data/limits.js';

export type FigureUnit = 'nats' | 'bits/dim';

export interface PretrainedRecipe {
  readonly name: string;
  readonly description: string;
  /** Arguments after `pixelstreams train`, exactly (no --out: pretrain writes runs/pretrain/NAME). */
  readonly train: readonly string[];
  /** The unit its figure is claimed and checked in: nats per image (binarized MNIST) or bits/dim (8-bit). */
  readonly unit: FigureUnit;
  /** The first N held-out images the test suite evaluates (the claim for them is recorded too). */
  readonly checkImages: number;
}

/** The registry. The lead adds the long-run recipes here; `npm run pretrain -- NAME` builds each. */
export const PRETRAINED_RECIPES: readonly PretrainedRecipe[] = [
  {
    name: 'mnist-binary-small',
    description: 'small PixelCNN (4 residual layers, h = 32), binarized MNIST, 3,000 steps of 16 (a few minutes on 2 cores)',
    train: ['--data', 'mnist', '--binarize', 'stochastic', '--preset', 'small', '--steps', '3000', '--batch-size', '16', '--seed', '1', '--workers', '2'],
    unit: 'nats',
    checkImages: 1000,
  },
  {
    name: 'mnist-binary-pixelcnn',
    description: 'reference PixelCNN (7×7 mask A, 6 residual 3×3 layers, h = 64), binarized MNIST, the recipe of an hour on 2 cores: RMSProp 1e-3 on a cosine schedule to the step --time-limit allows, the weight average (EMA 0.9995), batch 32 (13,303 steps, 7.1 epochs, 53 minutes of training; a rebuild on another machine reaches the step its own speed allows)',
    train: ['--data', 'mnist', '--binarize', 'stochastic', '--preset', 'reference', '--optimizer', 'rmsprop', '--lr', '1e-3', '--lr-schedule', 'cosine', '--ema', '0.9995', '--batch-size', '32', '--steps', '1000000', '--time-limit', '3480', '--workers', '2', '--seed', '1', '--checkpoint-every', '1000', '--no-progress'],
    unit: 'nats',
    checkImages: 500,
  },
  {
    name: 'mnist-8bit-small',
    description: 'small PixelCNN (4 residual layers, h = 32), 256-way softmax, 8-bit MNIST, 1,500 steps of 16',
    train: ['--data', 'mnist', '--likelihood', 'softmax', '--preset', 'small', '--steps', '1500', '--batch-size', '16', '--seed', '1', '--workers', '2'],
    unit: 'bits/dim',
    checkImages: 500,
  },
];

/** What the shipped models may weigh (model.json + weights.bin + the rest of the folder). */
export const PRETRAINED_BUDGET = { perModelBytes: 2 * 2 ** 20, totalBytes: 6 * 2 ** 20 } as const;

/** How close a re-measured figure must be to the claimed one. */
export const CLAIM_TOLERANCE: Readonly<Record<FigureUnit, number>> = { nats: 0.5, 'bits/dim': 0.01 };

export const CLAIM_FILE = 'pretrained.json';
/** runs/pretrain/NAME.args.json, beside the run folder: the recipe arguments the run was started with. */
export const PRETRAIN_ARGS_SUFFIX = '.args.json';
export const PRETRAINED_FILES = [MANIFEST_FILE, WEIGHTS_FILE, 'report.json', CLAIM_FILE, 'samples.png', 'loss.png', 'metrics.jsonl'] as const;
/** Files of PRETRAINED_FILES a shipped folder may lack (models built before they were shipped). */
export const OPTIONAL_PRETRAINED_FILES: readonly string[] = ['loss.png', 'metrics.jsonl'];

/** Lines of the run's metrics.jsonl a shipped model keeps: its curves on the dashboard, at a size the budget allows. */
export const SHIPPED_METRIC_LINES = 400;

/**
 * A metrics.jsonl thinned to at most `maxLines` lines: every k-th step (k = ⌈n / maxLines⌉),
 * the first and the last always kept, in order. Pure.
 */
export const thinMetrics = (text: string, maxLines: number = SHIPPED_METRIC_LINES): string => {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length <= maxLines) return lines.length ? `${lines.join('\n')}\n` : '';
  const every = Math.ceil((lines.length - 1) / (maxLines - 1));
  const kept = lines.filter((_, i) => i % every === 0 || i === lines.length - 1);
  return `${kept.join('\n')}\n`;
};

const Figure = t.type({ images: t.number, meanNll: t.number, bitsPerDim: t.number });
export const ClaimCodec = t.type({
  name: t.string,
  /** `pixelstreams train …` exactly as run (the recipe's arguments). */
  command: t.string,
  train: t.array(t.string),
  unit: t.union([t.literal('nats'), t.literal('bits/dim')]),
  /** The training data source and the held-out source the figures are on. */
  data: t.string,
  heldOut: t.string,
  step: t.number,
  parameters: t.number,
  /** On the whole held-out set (the run's own evaluation). */
  figure: Figure,
  /** On the first `check.images` held-out images: what the test suite re-measures. */
  check: Figure,
  /** Bytes of the folder's files. */
  bytes: t.number,
  backend: t.string,
});
export type PretrainedClaim = t.TypeOf<typeof ClaimCodec>;

/** The package's root: the folder with our package.json above this file (pipelines/ or dist/pipelines/). */
export const packageRoot = (): string => {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(d, 'package.json');
    if (existsSync(p)) {
      const pkg = readJsonFile(p);
      if (E.isRight(pkg) && (pkg.right as { name?: unknown }).name === 'pixelstreams') return d;
    }
    if (dirname(d) === d) throw new Error(`${fileURLToPath(import.meta.url)}: expected the pixelstreams package.json above this file, found none`);
    d = dirname(d);
  }
};

/** The folder holding the shipped models. */
export const pretrainedRoot = (): string => join(packageRoot(), 'pretrained');

export const recipeFor = (name: string): E.Either<Error, PretrainedRecipe> => {
  const r = PRETRAINED_RECIPES.find((x) => x.name === name);
  return r ? E.right(r) : E.left(new Error(`--pretrained: expected one of ${PRETRAINED_RECIPES.map((x) => x.name).join(', ')}, found '${name}'`));
};

/** The folder of one shipped model. */
export const pretrainedDir = (name: string, root: string = pretrainedRoot()): string => join(root, name);

/** The claim of a shipped model, decoded; an error names the file and the field (or says how to build it). */
export const readClaim = (name: string, root: string = pretrainedRoot()): E.Either<Error, PretrainedClaim> => {
  const file = join(pretrainedDir(name, root), CLAIM_FILE);
  if (!existsSync(file)) return E.left(new Error(`${file}: expected the pretrained model's claim, found no such file (build it: npm run pretrain -- ${name})`));
  const raw = readJsonFile(file, 'a pretrained claim');
  if (E.isLeft(raw)) return raw;
  const c = ClaimCodec.decode(raw.right);
  if (E.isLeft(c)) return E.left(new Error(`${file}: ${formatValidationErrors(c.left)}`));
  if (c.right.name !== name) return E.left(new Error(`${file}: name: expected '${name}', found '${c.right.name}'`));
  return E.right(c.right);
};

/** A registered model that is in the package: its folder (a checkpoint folder) and its claim. */
export const resolvePretrained = (name: string, root: string = pretrainedRoot()): E.Either<Error, { dir: string; recipe: PretrainedRecipe; claim: PretrainedClaim }> => {
  const recipe = recipeFor(name);
  if (E.isLeft(recipe)) return recipe;
  const claim = readClaim(name, root);
  if (E.isLeft(claim)) return claim;
  return E.right({ dir: pretrainedDir(name, root), recipe: recipe.right, claim: claim.right });
};

/** The figure in the recipe's unit. */
export const figureIn = (unit: FigureUnit, f: { meanNll: number; bitsPerDim: number }): number => (unit === 'nats' ? f.meanNll : f.bitsPerDim);

export const formatFigure = (unit: FigureUnit, f: { meanNll: number; bitsPerDim: number }): string =>
  unit === 'nats' ? `${f.meanNll.toFixed(2)} nats` : `${f.bitsPerDim.toFixed(4)} bits/dim`;

/** Does a re-measured figure agree with the claimed one (within CLAIM_TOLERANCE of the unit)? */
export const checkClaim = (
  unit: FigureUnit,
  measured: { meanNll: number; bitsPerDim: number },
  claimed: { meanNll: number; bitsPerDim: number },
): { readonly ok: boolean; readonly difference: number; readonly tolerance: number } => {
  const difference = Math.abs(figureIn(unit, measured) - figureIn(unit, claimed));
  const tolerance = CLAIM_TOLERANCE[unit];
  return { ok: Number.isFinite(difference) && difference <= tolerance, difference, tolerance };
};

/** Bytes of the files in a folder (not recursive). */
export const folderBytes = (dir: string): number =>
  readdirSync(dir).reduce((n, f) => n + (statSync(join(dir, f)).isFile() ? statSync(join(dir, f)).size : 0), 0);

/** One line per registered model for `pixelstreams pretrained`. */
export const pretrainedListing = (root: string = pretrainedRoot()): string[] =>
  PRETRAINED_RECIPES.map((r) => {
    const c = readClaim(r.name, root);
    if (E.isLeft(c)) return `${r.name}  (not built: npm run pretrain -- ${r.name})  ${r.description}`;
    const { claim } = { claim: c.right };
    return [
      `${r.name}  ${formatFigure(r.unit, claim.figure)} on ${claim.heldOut} (${claim.figure.images} images)  ${mib(claim.bytes)}  step ${claim.step}, ${claim.parameters} parameters`,
      `    ${r.description}`,
      `    data: ${claim.data}; made by: ${claim.command}`,
    ].join('\n');
  });

/**
 * A temporary run folder named NAME holding a shipped model as its one checkpoint (plus its report
 * and pictures), for the commands that work on run folders (serve, export). It is made inside a
 * fresh temporary folder, which the caller removes with removeMaterialized.
 */
export const materializeRun = (name: string, root: string = pretrainedRoot()): E.Either<Error, string> => {
  const p = resolvePretrained(name, root);
  if (E.isLeft(p)) return p;
  const run = join(mkdtempSync(join(tmpdir(), 'pixelstreams-pretrained-')), name);
  const ckpt = join(checkpointsDir(run), stepDirName(p.right.claim.step));
  try {
    mkdirSync(ckpt, { recursive: true });
    for (const f of [MANIFEST_FILE, WEIGHTS_FILE]) copyFileSync(join(p.right.dir, f), join(ckpt, f));
    for (const f of PRETRAINED_FILES.filter((x) => x !== MANIFEST_FILE && x !== WEIGHTS_FILE && x !== CLAIM_FILE)) if (existsSync(join(p.right.dir, f))) copyFileSync(join(p.right.dir, f), join(run, f));
  } catch (e) {
    removeMaterialized(run);
    return E.left(new Error(`${run}: cannot copy the pretrained model ${name} (${(e as Error).message})`));
  }
  return E.right(resolve(run));
};

/** Remove a folder made by materializeRun (and the temporary folder around it). */
export const removeMaterialized = (run: string): void => rmSync(dirname(run), { recursive: true, force: true });

// ── Building a shipped model: `npm run pretrain -- NAME` ─────────────────────────────────────────

export interface BuildOptions {
  /** Where the shipped folders go (default: the package's pretrained/). */
  readonly root?: string;
  /** Where the training runs go (default: runs/pretrain under the working directory). */
  readonly runsDir?: string;
  readonly log?: (line: string) => void;
  /** The registry to find NAME in (default PRETRAINED_RECIPES; tests pass their own). */
  readonly recipes?: readonly PretrainedRecipe[];
}

/** Samples in the folder's samples.png (an 8 × 8 grid, seed 1). */
export const PRETRAINED_SAMPLES = { count: 64, seed: 1, columns: 8 } as const;

/** The budget errors of a set of folder sizes (name → bytes); none when all fit. */
export const budgetErrors = (sizes: Readonly<Record<string, number>>): string[] => {
  const errs = Object.entries(sizes)
    .filter(([, b]) => b > PRETRAINED_BUDGET.perModelBytes)
    .map(([n, b]) => `pretrained/${n}: expected at most ${mib(PRETRAINED_BUDGET.perModelBytes)}, found ${mib(b)} (${b} bytes)`);
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  if (total > PRETRAINED_BUDGET.totalBytes) errs.push(`pretrained/: expected at most ${mib(PRETRAINED_BUDGET.totalBytes)} in all, found ${mib(total)} (${total} bytes)`);
  return errs;
};

/** Does the run folder's report evaluate, completely, the checkpoint at `step` (the run's last)? */
const finishedRun = (out: string, step: number | undefined): boolean => {
  if (step === undefined || !existsSync(join(out, 'report.json'))) return false;
  const rep = readJsonFile(join(out, 'report.json'), 'a run report');
  if (E.isLeft(rep)) return false;
  const r = rep.right as { training?: { step?: unknown; stoppedBy?: unknown }; evaluation?: { complete?: unknown } };
  // Stopped by a signal: resume it. Stopped by its steps or its time limit: it is done.
  return r.training?.step === step && r.training?.stoppedBy !== 'signal' && r.evaluation?.complete === true;
};

/**
 * Run the recipe's train command into <runsDir>/NAME (resumed when it holds checkpoints, so a long
 * run that was stopped continues), then write pretrained/NAME from its final checkpoint: the two
 * checkpoint files byte for byte, the run's report and curves, 64 samples, and the claim (the run's
 * figure on the whole held-out set and a re-measured one on its first `checkImages`).
 */
export const buildPretrained = async (name: string, options: BuildOptions = {}): Promise<E.Either<Error, PretrainedClaim>> => {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const recipes = options.recipes ?? PRETRAINED_RECIPES;
  const found = recipes.find((x) => x.name === name);
  const recipe = found ? E.right(found) : E.left(new Error(`pretrain: expected one of ${recipes.map((x) => x.name).join(', ')}, found '${name}'`));
  if (E.isLeft(recipe)) return recipe;
  const r = recipe.right;
  const root = options.root ?? pretrainedRoot();
  const out = resolve(options.runsDir ?? 'runs/pretrain', name);
  const { listCheckpoints, loadLatestCheckpoint, disposeCheckpoint, modelWeights } = await import('../src/checkpoint/checkpoint.js');
  const checkpoints = existsSync(out) ? listCheckpoints(out) : [];
  const command = `pixelstreams train ${r.train.join(' ')}`;
  // The run folder records the arguments it was started with: a recipe edited since is not
  // resumed or packaged under the new arguments.
  const argsFile = `${out}${PRETRAIN_ARGS_SUFFIX}`;
  if (checkpoints.length > 0) {
    const was = existsSync(argsFile) ? readJsonFile(argsFile, 'the arguments of a pretrain run') : E.right(null);
    if (E.isLeft(was)) return was;
    if (JSON.stringify(was.right) !== JSON.stringify(r.train))
      return E.left(new Error(`${argsFile}: expected the recipe's arguments ${JSON.stringify(r.train)}, found ${JSON.stringify(was.right)} (the run was made otherwise; remove ${out} to train it again)`));
  } else {
    const { writeFileAtomic } = await import('../src/fsAtomic.js');
    mkdirSync(dirname(out), { recursive: true });
    const w = writeFileAtomic(argsFile, `${JSON.stringify(r.train)}\n`);
    if (E.isLeft(w)) return w;
  }
  if (finishedRun(out, checkpoints[checkpoints.length - 1]?.step)) {
    // Its report covers the whole run: resuming would only replace it by one of an empty resume.
    log(`pretrain ${name}: ${out} is finished (its report evaluates its last checkpoint); packaging it (remove the folder to train again)`);
  } else {
    const resume = checkpoints.length > 0;
    log(`pretrain ${name}: ${command} --out ${out}${resume ? ' --resume' : ''}`);
    const { main } = await import('./cli.js');
    const code = await main(['node', 'pixelstreams', 'train', ...r.train, '--out', out, ...(resume ? ['--resume'] : [])]);
    if (code !== 0) return E.left(new Error(`pretrain ${name}: the train command exited ${code}`));
  }

  const report = readJsonFile(join(out, 'report.json'), 'a run report');
  if (E.isLeft(report)) return report;
  const rep = report.right as { evaluation?: { images?: number; meanNll?: number; bitsPerDim?: number; complete?: boolean }; backend?: { name?: string } };
  const ev = rep.evaluation;
  if (!ev || ev.complete !== true || typeof ev.meanNll !== 'number' || typeof ev.bitsPerDim !== 'number' || typeof ev.images !== 'number')
    return E.left(new Error(`${join(out, 'report.json')}: evaluation: expected a complete evaluation of the held-out set, found ${JSON.stringify(ev ?? null)}`));

  // Re-measure on the backend the run evaluated on (a finished run was not trained in this process).
  const { selectBackend } = await import('../src/backend.js');
  const backend = await selectBackend(rep.backend?.name);
  if (E.isLeft(backend)) return backend;
  const latest = loadLatestCheckpoint(out);
  if (E.isLeft(latest)) return latest;
  if (latest.right._tag === 'None') return E.left(new Error(`${out}: expected a checkpoint, found none`));
  const { path: ckpt, contents } = latest.right.value;
  try {
    const [{ decodeRunConfig }, { binarization, heldOutSource, readSource }, { bindModel, familyOf }, { evaluateSet }, { collectSamples }, { encodePngGrid }] = await Promise.all([
      import('./config.js'), import('./data.js'), import('../src/models/registry.js'), import('./evaluate.js'), import('./sample.js'), import('../src/data/png.js'),
    ]);
    const cfg = decodeRunConfig(contents.run, `${ckpt}: run`);
    if (E.isLeft(cfg)) return cfg;
    const heldOut = cfg.right.testData ?? heldOutSource(cfg.right.data, cfg.right.binarize);
    if (heldOut === undefined)
      return E.left(new Error(`pretrain ${name}: expected a recipe evaluated on a named set (--data mnist, or --test-data), found --data ${cfg.right.data} with a --validation part held out`));
    const set = await readSource(heldOut);
    if (E.isLeft(set)) return set;
    const fixed = binarization(cfg.right.binarize, cfg.right.seed).fixed(set.right);
    if (E.isLeft(fixed)) return fixed;
    if (ev.images !== fixed.right.records.length)
      return E.left(new Error(`${join(out, 'report.json')}: evaluation.images: expected the whole held-out set ${heldOut} (${fixed.right.records.length} images, no --eval-limit), found ${ev.images}`));
    const model = bindModel(contents.spec, modelWeights(contents).params); // the weight average where the run kept one, as eval uses
    const subset = { ...fixed.right, records: fixed.right.records.slice(0, r.checkImages) };
    log(`pretrain ${name}: re-measuring the first ${subset.records.length} images of ${heldOut}`);
    const check = await evaluateSet(model, subset, { batchSize: 64 });
    log(`pretrain ${name}: sampling ${PRETRAINED_SAMPLES.count} images (seed ${PRETRAINED_SAMPLES.seed})`);
    const sampled = await collectSamples(model, { count: PRETRAINED_SAMPLES.count, seed: PRETRAINED_SAMPLES.seed, temperature: 1, cached: true });
    const spec = contents.spec;
    const png = encodePngGrid(sampled.images, spec, { levels: spec.levels, scale: 2, columns: PRETRAINED_SAMPLES.columns });
    const { readFileSync } = await import('node:fs');
    const files: Record<string, Uint8Array | string> = {
      [MANIFEST_FILE]: readFileSync(join(ckpt, MANIFEST_FILE)),
      [WEIGHTS_FILE]: readFileSync(join(ckpt, WEIGHTS_FILE)),
      'report.json': readFileSync(join(out, 'report.json')),
      'samples.png': png,
    };
    if (existsSync(join(out, 'loss.png'))) files['loss.png'] = readFileSync(join(out, 'loss.png'));
    if (existsSync(join(out, 'metrics.jsonl'))) files['metrics.jsonl'] = thinMetrics(readFileSync(join(out, 'metrics.jsonl'), 'utf8'));
    const parameters = Object.values(familyOf(spec).shapes(spec) as Record<string, number[]>).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
    const claimWithout = {
      name, command, train: [...r.train], unit: r.unit, data: cfg.right.data, heldOut, step: contents.step, parameters,
      figure: { images: ev.images, meanNll: ev.meanNll, bitsPerDim: ev.bitsPerDim },
      check: { images: check.images, meanNll: check.meanNll, bitsPerDim: check.bitsPerDim },
      backend: backend.right.name,
    };
    // The claim file's own size counts too: measure with a placeholder of the same width.
    const size = (bytes: number) => `${JSON.stringify({ ...claimWithout, bytes }, null, 2)}\n`;
    const others = Object.values(files).reduce((n, f) => n + (typeof f === 'string' ? Buffer.byteLength(f) : f.byteLength), 0);
    let bytes = others + Buffer.byteLength(size(0));
    bytes = others + Buffer.byteLength(size(bytes));
    files[CLAIM_FILE] = size(bytes);
    const sizes: Record<string, number> = { [name]: bytes };
    for (const other of recipes)
      if (other.name !== name && existsSync(join(root, other.name))) sizes[other.name] = folderBytes(join(root, other.name));
    const over = budgetErrors(sizes);
    if (over.length) return E.left(new Error(`pretrain ${name}: ${over.join('; ')}; nothing written`));
    const { writeDirAtomic } = await import('../src/fsAtomic.js');
    const written = writeDirAtomic(pretrainedDir(name, root), files);
    if (E.isLeft(written)) return written;
    log(`pretrain ${name}: ${formatFigure(r.unit, claimWithout.figure)} on ${heldOut} (${ev.images} images); first ${check.images}: ${formatFigure(r.unit, check)}; ${mib(bytes)} → ${written.right}`);
    return E.right({ ...claimWithout, bytes });
  } finally {
    disposeCheckpoint(contents);
  }
};

// ── npm start: the user's own samples beside a pretrained model's ──────────────────────────────

/** Two greyscale or RGB pictures side by side (tops aligned, a `gap`-pixel grey band between) as one PNG. */
export const sideBySide = async (
  left: { width: number; height: number; channels: number; pixels: Uint8Array },
  right: { width: number; height: number; channels: number; pixels: Uint8Array },
  gap = 8,
): Promise<Buffer> => {
  const { encodePngGrid } = await import('../src/data/png.js');
  const c = Math.max(left.channels, right.channels);
  const width = left.width + gap + right.width;
  const height = Math.max(left.height, right.height);
  const canvas = new Uint8Array(width * height * c).fill(128);
  const paste = (img: typeof left, x0: number) => {
    for (let y = 0; y < img.height; y++)
      for (let x = 0; x < img.width; x++)
        for (let k = 0; k < c; k++) canvas[(y * width + x0 + x) * c + k] = img.pixels[(y * img.width + x) * img.channels + (img.channels === 1 ? 0 : k)]!;
  };
  paste(left, 0);
  paste(right, left.width + gap);
  return encodePngGrid([canvas], { height, width, channels: c, levels: 256 }, { levels: 256, scale: 1 });
};

/**
 * After a run: sample the pretrained model NAME as the run sampled its own (the run's sample count,
 * seed and temperature, the same grid) and write <runDir>/compare.png, the run's samples.png on the
 * left and the pretrained model's on the right.
 */
export const compareWithPretrained = async (
  runDir: string,
  name: string,
  root: string = pretrainedRoot(),
): Promise<E.Either<Error, { file: string; name: string; figure: string }>> => {
  const p = resolvePretrained(name, root);
  if (E.isLeft(p)) return p;
  const { readFileSync } = await import('node:fs');
  const [{ decodePng }, { loadCheckpoint, disposeCheckpoint, modelWeights }, { bindModel }, { collectSamples }, { encodePngGrid }, { writeFileAtomic }, { decodeRunConfig }] = await Promise.all([
    import('../src/data/png.js'), import('../src/checkpoint/checkpoint.js'), import('../src/models/registry.js'), import('./sample.js'), import('../src/data/png.js'), import('../src/fsAtomic.js'), import('./config.js'),
  ]);
  const ownFile = join(runDir, 'samples.png');
  if (!existsSync(ownFile)) return E.left(new Error(`${ownFile}: expected the run's samples, found no such file`));
  const own = decodePng(readFileSync(ownFile), ownFile);
  if (E.isLeft(own)) return own;
  const report = readJsonFile(join(runDir, 'report.json'), 'a run report');
  if (E.isLeft(report)) return report;
  const cfg = decodeRunConfig((report.right as { config?: unknown }).config, `${join(runDir, 'report.json')}: config`);
  if (E.isLeft(cfg)) return cfg;
  const contents = loadCheckpoint(p.right.dir);
  if (E.isLeft(contents)) return contents;
  try {
    const spec = contents.right.spec;
    const count = Math.max(1, cfg.right.samples);
    const sampled = await collectSamples(bindModel(spec, modelWeights(contents.right).params), { count, seed: cfg.right.seed, temperature: cfg.right.temperature, cached: true });
    // The grid as the run writes its own (pipelines/sample.ts writeGrid).
    const theirs = decodePng(encodePngGrid(sampled.images, spec, { levels: spec.levels, scale: spec.height <= 32 ? 4 : 2 }), name);
    if (E.isLeft(theirs)) return theirs;
    const file = join(runDir, 'compare.png');
    const written = writeFileAtomic(file, await sideBySide(own.right, theirs.right));
    if (E.isLeft(written)) return written;
    return E.right({ file, name, figure: `${formatFigure(p.right.recipe.unit, p.right.claim.figure)} on ${p.right.claim.heldOut}` });
  } finally {
    disposeCheckpoint(contents.right);
  }
};
