import * as E from 'fp-ts/lib/Either.js';
import { EMPTY, Subject, concat, from, lastValueFrom, take, throwError, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { disposeCheckpoint, listCheckpoints, loadCheckpoint } from '../src/checkpoint/checkpoint.js';
import { initModel, presets } from '../src/models/registry.js';
import { tf } from '../src/tf.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { disposeAll, initTrainState, type TrainState } from '../src/train/step.js';
import { tempDir } from '../test/fixtures/data.js';
import { checkpointEvery } from './checkpointEvery.js';
import type { TrainEvent } from './train.js';

const shape = { height: 3, width: 3, channels: 1 as const, levels: 2 };
const spec = presets.tiny(shape);

type Event = TrainEvent & { final: boolean };

let dir: string;
let cleanup: () => void;
let state: TrainState;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('pixelstreams-ckpt-op-'));
  state = initTrainState(spec, initModel(spec, 1).params, defaultOptimizer('rmsprop'));
});
afterEach(() => {
  disposeAll(state.params, state.slots);
  cleanup();
});

/** The event a training step would emit at `step` (the same tensors: a checkpoint only reads them). */
const eventAt = (step: number, final = false, s: TrainState = state): Event => ({
  metrics: { step, loss: 1, bitsPerDim: 1, gradNorm: 1, images: 1 },
  state: { ...s, step },
  skipped: false,
  skippedTotal: 0,
  stepMs: 0,
  final,
});
const steps = (n: number, finalAt = n) => Array.from({ length: n }, (_, i) => eventAt(i + 1, i + 1 === finalAt));
const op = (every: number, keep = 10) => checkpointEvery<Event, { note: string }>({ runDir: dir, every, keep, run: { note: 'run' }, isFinal: (e) => e.final });
const written = () => listCheckpoints(dir).map((c) => c.step);

describe('checkpointEvery', () => {
  it('passes every event on; writes at steps divisible by `every` and at the final event, marking those events', async () => {
    const events = steps(7);
    const out = await lastValueFrom(from(events).pipe(op(3), toArray()));
    expect(out.map((e) => e.metrics.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(out.map((e) => e.checkpoint !== undefined)).toEqual([false, false, true, false, false, true, true]);
    [0, 1, 3, 4].forEach((i) => expect(out[i]).toBe(events[i])); // not due: the very same event
    expect(written()).toEqual([3, 6, 7]);
    expect(out[6]!.checkpoint).toBe(listCheckpoints(dir)[2]!.path);
  });

  it('a written checkpoint holds the event state and the run, and loads back', async () => {
    const [, , third] = await lastValueFrom(from(steps(3)).pipe(op(3), toArray()));
    const loaded = loadCheckpoint<{ note: string }>(third!.checkpoint!);
    if (E.isLeft(loaded)) throw loaded.left;
    expect(loaded.right.step).toBe(3);
    expect(loaded.right.run).toEqual({ note: 'run' });
    for (const [name, x] of Object.entries(state.params)) expect(loaded.right.params[name]!.arraySync()).toEqual(x.arraySync());
    disposeCheckpoint(loaded.right);
  });

  it('every = 0 writes only at final events; keep prunes to the newest', async () => {
    await lastValueFrom(from(steps(5)).pipe(op(0)));
    expect(written()).toEqual([5]);
    await lastValueFrom(from(steps(9, 9)).pipe(op(2, 2)));
    expect(written()).toEqual([8, 9]);
  });

  it('empty input completes empty and writes nothing', async () => {
    expect(await lastValueFrom(EMPTY.pipe(op(1), toArray()))).toEqual([]);
    expect(written()).toEqual([]);
  });

  it('a failed write ends the stream with its error; earlier checkpoints stay intact; source errors pass through', async () => {
    const broken = { ...state, params: { ...state.params, bad: tf.tensor1d([Number.NaN]) } };
    const got: number[] = [];
    const error = await new Promise<unknown>((resolve) =>
      concat(from(steps(2)), from([eventAt(3, false, broken), eventAt(4)]))
        .pipe(op(1))
        .subscribe({ next: (e) => got.push(e.metrics.step), error: resolve, complete: () => resolve(null) }),
    );
    expect(String(error)).toMatch(/step-00000003: tensor 'param\/bad' holds a non-finite value/);
    expect(got).toEqual([1, 2]); // the event whose write failed is not emitted, nor anything after it
    expect(written()).toEqual([1, 2]);
    expect(E.isRight(loadCheckpoint(listCheckpoints(dir)[1]!.path))).toBe(true);
    broken.params.bad!.dispose();

    await expect(lastValueFrom(concat(from(steps(1)), throwError(() => new Error('reader broke'))).pipe(op(1)))).rejects.toThrow('reader broke');
  });

  it('early unsubscribe tears down the source and writes nothing more', () => {
    const s = new Subject<Event>();
    const got: number[] = [];
    s.pipe(op(1), take(1)).subscribe((e) => got.push(e.metrics.step));
    s.next(eventAt(1));
    expect(got).toEqual([1]);
    expect(s.observed).toBe(false);
    s.next(eventAt(2));
    expect(written()).toEqual([1]);
  });

  it('creates no tensors', async () => {
    const before = tf.memory().numTensors;
    await lastValueFrom(from(steps(4)).pipe(op(2)));
    expect(tf.memory().numTensors).toBe(before);
  });
});
