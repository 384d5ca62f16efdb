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
// slots, step and this run's config (data order and binarization are pure in seed and step).

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
import { disposeAll, initTrainState } from '../src/train/step.js';
import { checkpointEvery } from '../streams/checkpointEvery.js';
import { epochs } from '../streams/epochs.js';
import { progress } from '../streams/progress.js';
import { train, type TrainEvent } from '../streams/train.js';
import type { RunConfig } from './config.js';
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
  // A resumed run keeps its weights and optimizer slots; the optimizer's settings (e.g. a lower
  // learning rate) are the config's.
  const state = O.isSome(loaded.right)
    ? { ...fromCheckpoint(loaded.right.value.contents), optimizer: cfg.optimizer }
    : initTrainState(spec, familyOf(spec).init(spec, cfg.seed), cfg.optimizer);
  if (O.isSome(loaded.right)) ctx.log(`resuming from ${loaded.right.value.path} (step ${state.step})`);
  const startStep = state.step;
  if (startStep >= cfg.steps) {
    // Nothing to train: the run is already at (or past) the asked-for step.
    disposeAll(state.params, state.slots);
    const last = existing[existing.length - 1]!;
    return E.right({
      startStep, step: startStep, images: 0, seconds: 0, imagesPerSecond: 0, lastLoss: NaN, lastBitsPerDim: NaN,
      skippedBatches: 0, stoppedBy: 'steps', checkpoint: last.path, checkpoints: existing.length,
    });
  }

  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let stoppedBy: TrainOutcome['stoppedBy'] = 'steps';
  const isFinal = (e: TrainEvent): boolean => {
    if (e.metrics.step >= cfg.steps) return true;
    if (ctx.stop.requested) stoppedBy = 'signal';
    else if (ctx.timeLimitSeconds !== undefined && elapsed() >= ctx.timeLimitSeconds) stoppedBy = 'time limit';
    else return false;
    return true;
  };

  let images = 0;
  let checkpoints = 0;
  const trainOptions = { ...(ctx.engine ? { engine: ctx.engine } : {}), onNonFinite: cfg.onNonFinite };
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
          total: cfg.steps,
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
