// Checkpoints in the TensorFlow.js weights format, crash-safe and verified on load.
//
//   <runDir>/checkpoints/step-00000123/model.json    manifest (see manifest.ts)
//   <runDir>/checkpoints/step-00000123/weights.bin   float32 little-endian: params, then optimizer slots
//                                                    (with optimizer.ema, the weight average among them: slot/ema/<param>)
//
// A checkpoint folder is written whole: both files go into `step-….tmp-<pid>-<n>`, are fsynced,
// and the folder is renamed into place (then the parent fsynced). So any `step-NNNNNNNN` folder on
// disk is complete; a crash leaves at most a `.tmp-` folder, which readers ignore and the next save
// removes. The last K are kept; older ones are removed only after the new one is in place (renamed
// aside first, so none is ever seen half-deleted).
//
// Everything here is synchronous: a SIGINT/SIGTERM handler can write a final checkpoint and exit.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as O from 'fp-ts/lib/Option.js';
import * as t from 'io-ts';
import { formatValidationErrors } from '../data/errors.js';
import { readFileBounded } from '../data/files.js';
import { jsonMismatch, readJsonFile } from '../data/json.js';
import { LIMITS } from '../data/limits.js';
import { specBoundErrors } from './specBounds.js';
import { cleanLeftovers, removeDirAtomic, writeDirAtomic } from '../fsAtomic.js';
import type { BaseSpec } from '../model.js';
import { decodeSpec, familyOf, type ModelSpec } from '../models/registry.js';
import { tf, type NamedTensors } from '../tf.js';
import { averageOf } from '../train/ema.js';
import { initSlots, optimizerExtrasErrors, OptimizerConfigCodec, type OptimizerConfig } from '../train/optimizers.js';
import type { TrainState } from '../train/step.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  MANIFEST_FILE,
  ManifestCodec,
  WEIGHTS_FILE,
  type Manifest,
  type WeightEntry,
} from './manifest.js';

export interface CheckpointContents<S extends BaseSpec = ModelSpec, R = unknown> {
  readonly spec: S;
  readonly optimizer: OptimizerConfig;
  readonly params: NamedTensors;
  readonly slots: NamedTensors;
  /** Number of updates applied so far. */
  readonly step: number;
  /** Anything else needed to resume exactly: training config, seeds, RNG states, data position. */
  readonly run: R;
}

export interface CheckpointRef {
  readonly step: number;
  readonly path: string;
}

export const CHECKPOINTS_DIR = 'checkpoints';
const STEP_DIR = /^step-(\d{8,})$/;
const PARAM = 'param/';
const SLOT = 'slot/';

export const checkpointsDir = (runDir: string): string => join(runDir, CHECKPOINTS_DIR);
export const stepDirName = (step: number): string => `step-${String(step).padStart(8, '0')}`;

// ---------------------------------------------------------------------------------------------
// TrainState ⇄ CheckpointContents (same tensors, no copies).

export const toCheckpoint = <S extends BaseSpec, R>(state: TrainState<S>, run: R): CheckpointContents<S, R> => ({
  spec: state.spec,
  optimizer: state.optimizer,
  params: state.params,
  slots: state.slots,
  step: state.step,
  run,
});

export const fromCheckpoint = <S extends BaseSpec>(c: CheckpointContents<S, unknown>): TrainState<S> => ({
  spec: c.spec,
  optimizer: c.optimizer,
  params: c.params,
  slots: c.slots,
  step: c.step,
});

/** The weights a trained model is used with, and which they are. */
export interface ModelWeights {
  /** By parameter name: the weight average where the checkpoint has one, else the parameters (the same tensors, no copies: disposeCheckpoint frees them). */
  readonly params: NamedTensors;
  /** 'average' (an EMA of the weights, optimizer.ema) or 'raw' (the last update's parameters). */
  readonly weights: 'average' | 'raw';
  /** e.g. 'average (EMA decay 0.9995, warm-up)' or 'raw (no weight average in the checkpoint)'. */
  readonly description: string;
}

/**
 * What evaluation, sampling, serve and export use: the weight average (optimizer.ema) when the
 * checkpoint holds one, else the raw parameters (checkpoints without an average, and every one
 * written before averages existed). `prefer: 'raw'` asks for the parameters even where there is an average.
 */
export const modelWeights = (c: Pick<CheckpointContents<BaseSpec, unknown>, 'optimizer' | 'params' | 'slots'>, prefer: 'average' | 'raw' = 'average'): ModelWeights => {
  if (prefer === 'raw') return { params: c.params, weights: 'raw', description: c.optimizer.ema ? 'raw (the last update\'s weights; asked for with --weights raw)' : 'raw (no weight average in the checkpoint)' };
  const average = c.optimizer.ema ? averageOf(c.params, c.slots) : undefined;
  if (average && c.optimizer.ema)
    return { params: average, weights: 'average', description: `average (EMA decay ${c.optimizer.ema.decay}${c.optimizer.ema.warmup ? ', warm-up' : ''})` };
  return { params: c.params, weights: 'raw', description: 'raw (no weight average in the checkpoint)' };
};

export const disposeCheckpoint = (c: CheckpointContents<BaseSpec, unknown>): void => {
  for (const x of [...Object.values(c.params), ...Object.values(c.slots)]) x.dispose();
};

// ---------------------------------------------------------------------------------------------
// Listing.

/** Complete checkpoints in a run folder, oldest first. Temporary and half-removed folders are ignored. */
export const listCheckpoints = (runDir: string): CheckpointRef[] => {
  const dir = checkpointsDir(runDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => ({ name, m: STEP_DIR.exec(name) }))
    .filter((e): e is { name: string; m: RegExpExecArray } => e.m !== null)
    .map(({ name, m }) => ({ step: Number(m[1]), path: join(dir, name) }))
    .filter((c) => existsSync(join(c.path, MANIFEST_FILE)))
    .sort((a, b) => a.step - b.step);
};

/** The newest complete checkpoint folder, if any. */
export const latestCheckpoint = (runDir: string): O.Option<string> => {
  const all = listCheckpoints(runDir);
  return all.length ? O.some(all[all.length - 1]!.path) : O.none;
};

// ---------------------------------------------------------------------------------------------
// Bytes.

const LITTLE = endianness() === 'LE';

const floatsToBytes = (values: Float32Array): Uint8Array => {
  if (LITTLE) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
};

/** A fresh (aligned, unshared) Float32Array of `n` values at byte `offset` of `bytes`. */
const bytesToFloats = (bytes: Uint8Array, offset: number, n: number): Float32Array => {
  const copy = bytes.slice(offset, offset + n * 4);
  if (LITTLE) return new Float32Array(copy.buffer, copy.byteOffset, n);
  const view = new DataView(copy.buffer);
  return Float32Array.from({ length: n }, (_, i) => view.getFloat32(i * 4, true));
};

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

// ---------------------------------------------------------------------------------------------
// Saving.

export interface SaveOptions {
  /** How many checkpoints to keep (the newest); default 3. */
  readonly keep?: number;
  /** Clock for `createdAt` (tests). */
  readonly now?: () => Date;
}

/**
 * Write a checkpoint of `contents` to `<runDir>/checkpoints/step-NNNNNNNN/`, atomically, then keep
 * only the newest `keep`. Synchronous. Refuses (Left) to write non-finite or non-float32 tensors,
 * so a bad state never replaces a good checkpoint. Returns the checkpoint folder.
 */
export const saveCheckpoint = (
  runDir: string,
  contents: CheckpointContents<BaseSpec, unknown>,
  options: SaveOptions = {},
): E.Either<Error, string> => {
  const keep = options.keep ?? 3;
  if (!(Number.isInteger(keep) && keep >= 1) && keep !== Infinity)
    return E.left(new Error(`checkpoint keep: expected an integer ≥ 1, found ${keep}`));
  if (!(Number.isInteger(contents.step) && contents.step >= 0))
    return E.left(new Error(`checkpoint step: expected an integer ≥ 0, found ${contents.step}`));
  const dir = checkpointsDir(runDir);
  const target = join(dir, stepDirName(contents.step));

  let runJson: string | undefined;
  try {
    runJson = JSON.stringify(contents.run);
  } catch (e) {
    return E.left(new Error(`${target}: run data is not JSON-serialisable (${(e as Error).message})`));
  }
  // Every value of the manifest must read back as written (an infinite epsilon would become null,
  // and the checkpoint could never be loaded).
  for (const [field, value] of [['spec', contents.spec], ['optimizer', contents.optimizer], ['run', contents.run]] as const) {
    const bad = jsonMismatch(value, field);
    if (bad) return E.left(new Error(`${target}: ${bad}; checkpoint not written`));
  }

  const entries: WeightEntry[] = [];
  const chunks: Uint8Array[] = [];
  const tensors = [
    ...Object.entries(contents.params).map(([n, x]) => [PARAM + n, x] as const),
    ...Object.entries(contents.slots).map(([n, x]) => [SLOT + n, x] as const),
  ];
  for (const [name, x] of tensors) {
    if (x.isDisposed) return E.left(new Error(`${target}: tensor '${name}' is disposed`));
    if (x.dtype !== 'float32') return E.left(new Error(`${target}: tensor '${name}': expected dtype float32, found ${x.dtype}`));
    const values = x.dataSync() as Float32Array;
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      return E.left(
        new Error(`${target}: tensor '${name}' holds a non-finite value (${values[bad]} at index ${bad}); checkpoint not written`),
      );
    entries.push({ name, shape: [...x.shape], dtype: 'float32' });
    chunks.push(floatsToBytes(values));
  }
  const weights = Buffer.concat(chunks);
  const manifest: Manifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: entries }],
    pixelstreams: {
      spec: contents.spec,
      optimizer: contents.optimizer,
      step: contents.step,
      run: runJson === undefined ? null : JSON.parse(runJson),
      checksum: sha256(weights),
      createdAt: (options.now ?? (() => new Date()))().toISOString(),
    },
  };

  try {
    mkdirSync(dir, { recursive: true });
    cleanLeftovers(dir);
  } catch (e) {
    return E.left(new Error(`${dir}: cannot prepare checkpoint folder (${(e as Error).message})`));
  }
  const written = writeDirAtomic(target, {
    [WEIGHTS_FILE]: weights,
    [MANIFEST_FILE]: JSON.stringify(manifest, null, 1) + '\n',
  });
  if (E.isLeft(written)) return written;

  try {
    const all = listCheckpoints(runDir).filter((c) => c.path !== target);
    const excess = all.length + 1 - keep;
    for (const old of all.slice(0, Math.max(0, excess))) removeDirAtomic(old.path);
  } catch (e) {
    return E.left(new Error(`${dir}: checkpoint written to ${target} but pruning old ones failed (${(e as Error).message})`));
  }
  return E.right(target);
};

// ---------------------------------------------------------------------------------------------
// Loading.

export interface LoadOptions<R> {
  /** The spec the caller is about to train or evaluate: a checkpoint of another model is an error. */
  readonly expectSpec?: BaseSpec;
  /** Decoder for the `run` field (default: accept anything). */
  readonly codec?: t.Decoder<unknown, R>;
}

const specDifferences = (expected: BaseSpec, found: BaseSpec): string[] => {
  const e = expected as unknown as Record<string, unknown>;
  const f = found as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(e), ...Object.keys(f)])];
  return keys
    .filter((k) => JSON.stringify(e[k]) !== JSON.stringify(f[k]))
    .map((k) => `spec.${k}: expected ${JSON.stringify(e[k]) ?? 'absent'}, found ${JSON.stringify(f[k]) ?? 'absent'}`);
};

const nonFiniteFields = (o: Record<string, unknown>): string[] =>
  Object.entries(o)
    .filter(([, v]) => typeof v === 'number' && !Number.isFinite(v))
    .map(([k, v]) => `optimizer.${k}: expected a finite number, found ${v}`);

/** Expected name → shape of every tensor in a checkpoint of this spec and optimizer. */
export const expectedShapes = (spec: ModelSpec, optimizer: OptimizerConfig): Map<string, number[]> => {
  const params = familyOf(spec).shapes(spec);
  const out = new Map<string, number[]>();
  for (const [n, s] of Object.entries(params)) out.set(PARAM + n, s);
  // Slot names and shapes come from the optimizer itself, run on empty stand-ins: parameter i is
  // stood for by a [0, i] tensor, so a slot shaped like its parameter names it by its shape.
  const names = Object.keys(params);
  const slotShapes = tf.tidy(() => {
    const fake = Object.fromEntries(names.map((n, i) => [n, tf.zeros([0, i])]));
    return Object.entries(initSlots(optimizer, fake)).map(([k, x]) => {
      const owner = x.rank === 2 && x.shape[0] === 0 ? names[x.shape[1]!] : undefined;
      return [k, owner !== undefined ? params[owner]! : [...x.shape]] as const;
    });
  });
  for (const [n, s] of slotShapes) out.set(SLOT + n, s);
  return out;
};

/**
 * Read and verify a checkpoint folder (or its model.json): manifest decoded field by field, checksum
 * and length of the weights, every tensor's name and shape against the spec, the spec against
 * `expectSpec`. Tensors are created only when everything checks out; the caller owns them.
 */
export const loadCheckpoint = <R = unknown>(
  path: string,
  options: LoadOptions<R> = {},
): E.Either<Error, CheckpointContents<ModelSpec, R>> => {
  const dir = basename(path) === MANIFEST_FILE ? join(path, '..') : path;
  const manifestPath = join(dir, MANIFEST_FILE);
  const fail = (msg: string) => E.left(new Error(`${manifestPath}: ${msg}`));

  // 1. The manifest (a regular file, bounded in size and nesting).
  if (!existsSync(manifestPath)) return fail('expected a checkpoint manifest, found no such file');
  const parsed = readJsonFile(manifestPath, 'a checkpoint manifest');
  if (E.isLeft(parsed))
    return /invalid JSON/.test(parsed.left.message)
      ? fail(`expected JSON, found a parse error (${parsed.left.message.replace(/^.*invalid JSON \(/, '').replace(/\)$/, '')})`)
      : E.left(parsed.left);
  const raw = parsed.right;
  const decoded = ManifestCodec.decode(raw);
  if (E.isLeft(decoded)) return fail(formatValidationErrors(decoded.left));
  const m = decoded.right;
  const ps = m.pixelstreams;

  const bounds = specBoundErrors(ps.spec, 'pixelstreams.spec');
  if (bounds.length) return fail(bounds.join('; '));
  const spec = decodeSpec(ps.spec, `${manifestPath}: pixelstreams.spec`);
  if (E.isLeft(spec)) return spec;
  const opt = OptimizerConfigCodec.decode(ps.optimizer);
  if (E.isLeft(opt)) return fail(`pixelstreams.optimizer: ${formatValidationErrors(opt.left)}`);
  const optErrs = [...nonFiniteFields(opt.right as unknown as Record<string, unknown>), ...optimizerExtrasErrors(opt.right, 'optimizer')];
  if (optErrs.length) return fail(`pixelstreams.${optErrs.join('; ')}`);
  const run = (options.codec ?? (t.unknown as unknown as t.Decoder<unknown, R>)).decode(ps.run);
  if (E.isLeft(run)) return fail(`pixelstreams.run: ${formatValidationErrors(run.left)}`);

  // 2. The model it is for.
  if (options.expectSpec) {
    const diffs = specDifferences(options.expectSpec, spec.right);
    if (diffs.length) return fail(`checkpoint is for another model: ${diffs.join('; ')}`);
  }

  // 3. Names and shapes — and a size bound before any byte of weights is read.
  const paramCount = Object.values(familyOf(spec.right).shapes(spec.right) as Record<string, number[]>).reduce((n, sh) => n + sizeOf(sh), 0);
  if (paramCount > LIMITS.parameters)
    return fail(`pixelstreams.spec: expected a model of at most ${LIMITS.parameters} parameters, found ${paramCount}`);
  const expected = expectedShapes(spec.right, opt.right);
  const seen = new Set<string>();
  const errs: string[] = [];
  for (const g of m.weightsManifest)
    for (const w of g.weights) {
      if (seen.has(w.name)) errs.push(`weight '${w.name}': expected once, found twice`);
      seen.add(w.name);
      const want = expected.get(w.name);
      if (!want) errs.push(`weight '${w.name}': expected no such tensor for this spec and optimizer, found one`);
      else if (shapeText(want) !== shapeText(w.shape))
        errs.push(`weight '${w.name}': expected shape ${shapeText(want)} (from the spec), found ${shapeText(w.shape)}`);
    }
  for (const [name, shape] of expected)
    if (!seen.has(name)) errs.push(`weight '${name}': expected shape ${shapeText(shape)}, found it missing`);
  if (errs.length) return fail(errs.slice(0, 8).join('; ') + (errs.length > 8 ? `; … ${errs.length - 8} more` : ''));

  // 4. The bytes: length and checksum over all files in manifest order.
  const weightsName = m.weightsManifest.flatMap((g) => g.paths).map((p) => join(dir, p)).join(' + ');
  const expectedBytes = m.weightsManifest.flatMap((g) => g.weights).reduce((a, w) => a + sizeOf(w.shape) * 4, 0);
  const files: Uint8Array[] = [];
  let budget = expectedBytes;
  for (const g of m.weightsManifest)
    for (const p of g.paths) {
      // Each file read whole only if it fits what the manifest leaves for it (plus one byte, so a
      // longer file is reported by its length below rather than read).
      const f = readFileBounded(join(dir, p), Math.max(0, budget) + 1, 'a readable weights file');
      if (E.isLeft(f)) {
        if (/expected a file of at most/.test(f.left.message))
          return E.left(new Error(`${weightsName}: expected ${expectedBytes} bytes (from ${MANIFEST_FILE}), found ${expectedBytes - budget + statSync(join(dir, p)).size}`));
        return E.left(new Error(`${join(dir, p)}: cannot read weights (${f.left.message})`));
      }
      budget -= f.right.byteLength;
      files.push(f.right);
    }
  const foundBytes = files.reduce((a, f) => a + f.byteLength, 0);
  if (foundBytes !== expectedBytes)
    return E.left(new Error(`${weightsName}: expected ${expectedBytes} bytes (from ${MANIFEST_FILE}), found ${foundBytes}`));
  const all = Buffer.concat(files);
  const digest = sha256(all);
  if (digest !== ps.checksum)
    return E.left(new Error(`${weightsName}: checksum mismatch: expected sha256 ${ps.checksum}, found ${digest}`));

  // 5. Values: finite, then tensors.
  const arrays: [string, number[], Float32Array][] = [];
  let offset = 0;
  for (const g of m.weightsManifest)
    for (const w of g.weights) {
      const n = sizeOf(w.shape);
      const values = bytesToFloats(all, offset, n);
      offset += n * 4;
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0)
        return E.left(new Error(`${weightsName}: weight '${w.name}': expected finite values, found ${values[bad]} at index ${bad}`));
      arrays.push([w.name, w.shape, values]);
    }
  const params: NamedTensors = {};
  const slots: NamedTensors = {};
  // Parameters in the spec's order, slots in the optimizer's order, whatever the file's order.
  const byName = new Map(arrays.map(([n, s, v]) => [n, [s, v] as const]));
  for (const name of expected.keys()) {
    const [shape, values] = byName.get(name)!;
    const x = tf.tensor(values, shape, 'float32');
    if (name.startsWith(PARAM)) params[name.slice(PARAM.length)] = x;
    else slots[name.slice(SLOT.length)] = x;
  }
  return E.right({ spec: spec.right, optimizer: opt.right, params, slots, step: ps.step, run: run.right });
};

/**
 * The newest checkpoint of a run, loaded and verified: Right(none) when there is none, Left when the
 * newest one does not load (it is not silently skipped: the error says which file and why).
 */
export const loadLatestCheckpoint = <R = unknown>(
  runDir: string,
  options: LoadOptions<R> = {},
): E.Either<Error, O.Option<{ path: string; contents: CheckpointContents<ModelSpec, R> }>> => {
  const latest = latestCheckpoint(runDir);
  if (O.isNone(latest)) return E.right(O.none);
  const path = latest.value;
  return E.map((contents: CheckpointContents<ModelSpec, R>) => O.some({ path, contents }))(loadCheckpoint(path, options));
};

