// The training pipeline, end to end:
//
//   epochs(train set, seeded order, from the resumed step, one batch per finished step)
//     → train(state)                    one event per step, state threaded through mergeScan
//     → checkpointEvery(N)              atomic checkpoints, always one at the final step
//     → progress(bar)                   loss and bits/dim on a terminal, lines in logs
//     → takeWhile(not final)            steps done, SIGINT/SIGTERM, or the time limit
//
// then the final checkpoint is evaluated on held-out images and sampled (pipelines/evaluate.ts,
// pipelines/sample.ts). Everything a resume needs is in the checkpoint: spec, weights, optimizer
// slots (the weight average among them), step, the optimizer with its learning-rate schedule, and
// this run's config (data order and binarization are pure in seed and step).
//
// A cosine or linear schedule ends at --steps. Under --time-limit it ends where the time runs out:
// after 5% of the limit (and at least 3 steps) the mean step time gives the step the limit will
// allow (src/train/schedule.ts estimateTotalSteps, planning for 95% of the limit), the schedule's
// length is fixed there and recorded in the optimizer (schedule.totalSteps, schedule.fixedAt) of
// every later checkpoint, and training ends at that step; a resumed run keeps that length, so it
// continues bitwise as the uninterrupted run would.

import { metricsLog } from '../streams/metricsLog.js';
import * as E from 'fp-ts/lib/Either.js';
import * as O from 'fp-ts/lib/Option.js';
import { asyncScheduler, defaultIfEmpty, lastValueFrom, map, Subject, takeWhile, tap } from 'rxjs';
import { disposeCheckpoint, fromCheckpoint, listCheckpoints, loadLatestCheckpoint } from '../src/checkpoint/checkpoint.js';
import type { EpochTransform } from '../src/data/binarize.js';
import type { ImageSet } from '../src/data/records.js';
import { splitSet } from '../src/data/split.js';
import { familyOf, type ModelSpec } from '../src/models/registry.js';
import type { GradientEngine } from '../src/train/engine.js';
import { emaSlot } from '../src/train/ema.js';
import { initSlots, type OptimizerConfig } from '../src/train/optimizers.js';
import { estimateTotalSteps, fixedEnd, fixLength, needsEstimate } from '../src/train/schedule.js';
import { disposeAll, initTrainState, type TrainState } from '../src/train/step.js';
import type { NamedTensors } from '../src/tf.js';
import { checkpointEvery } from '../streams/checkpointEvery.js';
import { epochs } from '../streams/epochs.js';
import { progress } from '../streams/progress.js';
import { train, type TrainEvent } from '../streams/train.js';
import { trainingOptimizer, type RunConfig } from './config.js';
import { binarization, heldOutSource, readSource } from './data.js';

export interface PreparedSets {
  readonly train: ImageSet;
  readonly transform?: EpochTransform;
  readonly heldOut: ImageSet;
}

const limitSet = (set: ImageSet, limit?: number): ImageSet =>
  limit === undefined || limit >= set.records.length ? set : { ...set, records: set.records.slice(0, limit) };

/** Read the training data, hold out validation images (or read the test set), binarize. */
export const prepareData = async (cfg: RunConfig): Promise<E.Either<Error, PreparedSets>> => {
  const source = await readSource(cfg.data);
  if (E.isLeft(source)) return source;
  const bin = binarization(cfg.binarize, cfg.seed);
  const testData = cfg.testData ?? heldOutSource(cfg.data, cfg.binarize); // mnist: the official test set
  let trainRaw: ImageSet;
  let heldOutRaw: ImageSet;
  if (testData !== undefined) {
    const test = await readSource(testData);
    if (E.isLeft(test)) return test;
    trainRaw = source.right;
    heldOutRaw = test.right;
  } else {
    const split = splitSet(source.right, { seed: cfg.seed, count: Math.min(cfg.validation, source.right.records.length - 1) });
    if (E.isLeft(split)) return split;
    trainRaw = split.right.train;
    heldOutRaw = split.right.validation;
  }
  trainRaw = limitSet(trainRaw, cfg.limit);
  heldOutRaw = limitSet(heldOutRaw, cfg.evalLimit);
  if (trainRaw.records.length === 0) return E.left(new Error(`${cfg.data}: expected at least one training image, found none`));
  if (heldOutRaw.records.length === 0)
    return E.left(new Error(`${testData ?? cfg.data}: expected at least one image to evaluate on, found none${testData ? '' : ' (--validation 0 holds none out)'}`));
  if (testData !== undefined) {
    const [a, b] = [trainRaw.shape, heldOutRaw.shape];
    if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels || (a.levels !== b.levels && cfg.binarize === 'none')) // binarized: both end at levels 2
      return E.left(
        new Error(`${testData}: expected ${a.height}×${a.width}×${a.channels} images with ${a.levels} levels (like the training data ${cfg.data}), found ${b.height}×${b.width}×${b.channels} with ${b.levels} levels`),
      );
  }
  const heldOut = bin.fixed(heldOutRaw);
  if (E.isLeft(heldOut)) return heldOut;
  if (bin.transform) {
    if (trainRaw.shape.levels !== bin.transform.inputLevels)
      return E.left(new Error(`${trainRaw.name}: binarization expected 8-bit images (levels 256), found levels ${trainRaw.shape.levels}`));
    return E.right({ train: trainRaw, transform: bin.transform, heldOut: heldOut.right });
  }
  const trainSet = bin.fixed(trainRaw);
  if (E.isLeft(trainSet)) return trainSet;
  return E.right({ train: trainSet.right, heldOut: heldOut.right });
};

/**
 * The optimizer a resumed run goes on with: the config's settings, except that a schedule length
 * fixed from step times (schedule.fixedAt) is kept when the schedule is of the same kind and floor.
 */
export const resumedOptimizer = (cfg: RunConfig, stored: OptimizerConfig): OptimizerConfig => {
  const wanted = trainingOptimizer(cfg);
  const [a, b] = [wanted.schedule, stored.schedule];
  if (a && b && (a.kind === 'cosine' || a.kind === 'linear') && b.kind === a.kind && b.floor === a.floor && b.fixedAt !== undefined)
    return { ...wanted, schedule: { ...a, totalSteps: Math.min(b.totalSteps, cfg.steps), fixedAt: b.fixedAt } };
  return wanted;
};

/**
 * The slots `optimizer` needs, from a checkpoint's: its own kept, an average it lacks (the run
 * now asks for --ema) started as the current parameters, any the optimizer does not use freed.
 * Takes ownership of `slots`.
 */
export const reconcileSlots = (optimizer: OptimizerConfig, params: NamedTensors, slots: NamedTensors): { slots: NamedTensors; added: string[]; dropped: string[] } => {
  const fresh = initSlots(optimizer, params);
  const out: NamedTensors = {};
  const added: string[] = [];
  for (const [name, x] of Object.entries(fresh)) {
    if (slots[name]) {
      out[name] = slots[name]!;
      x.dispose();
    } else {
      out[name] = x;
      added.push(name);
    }
  }
  const dropped = Object.keys(slots).filter((n) => !(n in fresh));
  for (const n of dropped) slots[n]!.dispose();
  return { slots: out, added, dropped };
};

export interface StopSignal {
  /** Set (e.g. by SIGINT) to finish the current step, checkpoint and stop. */
  readonly requested: boolean;
}

export interface TrainContext {
  readonly outDir: string;
  readonly resume: boolean;
  readonly showProgress: boolean;
  readonly engine?: GradientEngine;
  readonly stop: StopSignal;
  /** Stop after this many seconds of training (a checkpoint is written). */
  readonly timeLimitSeconds?: number;
  /** Milliseconds for the time limit and the schedule's estimate (tests); default performance.now. */
  readonly clock?: () => number;
  readonly log: (line: string) => void;
}

export interface TrainOutcome {
  readonly startStep: number;
  readonly step: number;
  readonly images: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
  readonly lastLoss: number;
  readonly lastBitsPerDim: number;
  readonly skippedBatches: number;
  readonly stoppedBy: 'steps' | 'signal' | 'time limit';
  readonly checkpoint: string;
  readonly checkpoints: number;
}

/** Train from scratch or from the run's last checkpoint, up to cfg.steps. */
export const runTraining = async (
  cfg: RunConfig,
  spec: ModelSpec,
  sets: PreparedSets,
  ctx: TrainContext,
): Promise<E.Either<Error, TrainOutcome>> => {
  const existing = listCheckpoints(ctx.outDir);
  if (existing.length > 0 && !ctx.resume)
    return E.left(new Error(`${ctx.outDir}: already holds checkpoints (last: step ${existing[existing.length - 1]!.step}); pass --resume to continue that run, or choose another --out`));

  const loaded = ctx.resume ? loadLatestCheckpoint(ctx.outDir, { expectSpec: spec }) : E.right(O.none);
  if (E.isLeft(loaded)) return loaded;
  if (O.isSome(loaded.right) && loaded.right.value.contents.optimizer.name !== cfg.optimizer.name) {
    const { path, contents } = loaded.right.value;
    disposeCheckpoint(contents);
    return E.left(new Error(`${path}: optimizer: the run uses ${contents.optimizer.name}, found ${cfg.optimizer.name}`));
  }
  // A resumed run keeps its weights and optimizer slots (and a schedule length fixed from step
  // times); the optimizer's settings (e.g. a lower learning rate, a weight average) are the config's.
  let state: TrainState<ModelSpec>;
  if (O.isSome(loaded.right)) {
    const stored = fromCheckpoint(loaded.right.value.contents);
    const optimizer = resumedOptimizer(cfg, stored.optimizer);
    const { slots, added, dropped } = reconcileSlots(optimizer, stored.params, stored.slots);
    state = { ...stored, optimizer, slots };
    ctx.log(`resuming from ${loaded.right.value.path} (step ${state.step})`);
    if (added.some((n) => n.startsWith(emaSlot(''))) && optimizer.ema) ctx.log(`weight average (EMA ${optimizer.ema.decay}): started from the step-${state.step} weights`);
    if (dropped.length) ctx.log(`weight average: not kept (the run no longer asks for --ema)`);
  } else state = initTrainState(spec, familyOf(spec).init(spec, cfg.seed), trainingOptimizer(cfg));
  const schedule = state.optimizer.schedule;
  if (schedule && schedule.kind !== 'constant')
    ctx.log(
      `learning rate: ${schedule.kind === 'exponential' ? `${state.optimizer.learningRate} × ${schedule.gamma}^step` : `${schedule.kind} from ${state.optimizer.learningRate} to ${schedule.floor} of it at step ${schedule.totalSteps}${schedule.fixedAt !== undefined ? ` (fixed at step ${schedule.fixedAt} from step times)` : ctx.timeLimitSeconds !== undefined && needsEstimate(schedule) ? ' (or where --time-limit ends, estimated from step times)' : ''}`}`,
    );
  const startStep = state.step;
  const fixed = state.optimizer.schedule;
  // A run at its steps, or at the end of a schedule whose length a time limit fixed, trains no more.
  const budget = Math.min(cfg.steps, fixedEnd(fixed) ?? Infinity);
  if (startStep >= budget) {
    // Nothing to train: the run is already at (or past) the asked-for step.
    disposeAll(state.params, state.slots);
    const last = existing[existing.length - 1]!;
    return E.right({
      startStep, step: startStep, images: 0, seconds: 0, imagesPerSecond: 0, lastLoss: NaN, lastBitsPerDim: NaN,
      skippedBatches: 0, stoppedBy: 'steps', checkpoint: last.path, checkpoints: existing.length,
    });
  }

  const clock = ctx.clock ?? (() => performance.now());
  const started = clock();
  const elapsed = () => (clock() - started) / 1000;
  let stoppedBy: TrainOutcome['stoppedBy'] = 'steps';
  const isFinal = (e: TrainEvent): boolean => {
    if (e.metrics.step >= cfg.steps) return true;
    const end = fixedEnd(e.state.optimizer.schedule);
    if (end !== undefined && e.metrics.step >= end) {
      stoppedBy = 'time limit'; // the schedule's end, planned from the time limit
      return true;
    }
    if (ctx.stop.requested) stoppedBy = 'signal';
    else if (ctx.timeLimitSeconds !== undefined && elapsed() >= ctx.timeLimitSeconds) stoppedBy = 'time limit';
    else return false;
    return true;
  };

  let images = 0;
  let checkpoints = 0;
  // Under a time limit, a schedule that ends at a step budget gets its length from step times.
  const marks: number[] = [];
  const limit = ctx.timeLimitSeconds;
  const beforeStep =
    limit !== undefined && needsEstimate(state.optimizer.schedule)
      ? (s: TrainState<ModelSpec>): TrainState<ModelSpec> => {
          if (!needsEstimate(s.optimizer.schedule)) return s;
          if (s.step > startStep) marks.push(clock()); // the end of the previous step
          const total = estimateTotalSteps({ marks, elapsedSeconds: elapsed(), limitSeconds: limit, step: s.step, maxSteps: cfg.steps });
          if (total === undefined) return s;
          ctx.log(`learning-rate schedule: ends at step ${total} (fixed at step ${s.step} from ${marks.length} measured steps and --time-limit ${limit})`);
          return { ...s, optimizer: { ...s.optimizer, schedule: fixLength(s.optimizer.schedule!, total, s.step) } };
        }
      : undefined;
  const trainOptions = { ...(ctx.engine ? { engine: ctx.engine } : {}), onNonFinite: cfg.onNonFinite, ...(beforeStep ? { beforeStep } : {}) };
  // Pull mode: each finished step asks for the next batch, so none pile up behind a slow step.
  const ready = new Subject<void>();
  try {
    const last = await lastValueFrom(
      epochs(sets.train, {
        batchSize: cfg.batchSize,
        seed: cfg.seed,
        ...(sets.transform ? { transform: sets.transform } : {}),
        startStep,
        maxSteps: cfg.steps,
        scheduler: asyncScheduler, // one step per macrotask: signals and the progress bar get a turn
        demand: ready,
      }).pipe(
        train(state, trainOptions),
        metricsLog({ runDir: ctx.outDir }), // one line per step in <run>/metrics.jsonl: the dashboard's curves, loss.png
        tap(() => ready.next()),
        map((e) => ({ ...e, final: isFinal(e) })),
        checkpointEvery({ runDir: ctx.outDir, every: cfg.checkpointEvery, keep: cfg.keep, run: cfg, isFinal: (e) => e.final }),
        tap((e) => {
          images += e.metrics.images;
          if (e.checkpoint) checkpoints++;
        }),
        progress({
          // The step training ends at: --steps, or sooner where a time limit fixed the schedule's end.
          total: (e) => Math.min(cfg.steps, fixedEnd(e.state.optimizer.schedule) ?? Infinity),
          label: 'train',
          position: (e) => e.metrics.step,
          figures: (e) => ({ loss: `${e.metrics.loss.toFixed(2)} nats`, 'bits/dim': e.metrics.bitsPerDim.toFixed(4) }),
          enabled: ctx.showProgress,
        }),
        takeWhile((e) => !e.final, true),
        defaultIfEmpty(null),
      ),
    );
    if (!last) return E.left(new Error('training produced no step'));
    const seconds = elapsed();
    return E.right({
      startStep,
      step: last.metrics.step,
      images,
      seconds,
      imagesPerSecond: images / seconds,
      lastLoss: last.metrics.loss,
      lastBitsPerDim: last.metrics.bitsPerDim,
      skippedBatches: last.skippedTotal,
      stoppedBy,
      checkpoint: last.checkpoint ?? '',
      checkpoints,
    });
  } catch (e) {
    return E.left(e as Error);
  }
};
