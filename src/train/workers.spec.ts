// Worker training equals in-process training; workers do not leak; a dying worker is a clear error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordBatch } from '../data/records.js';
import { familyOf, presets } from '../models/registry.js';
import { Rng } from '../rng.js';
import { tf, type NamedTensors } from '../tf.js';
import { localEngine, type GradientEngine } from './engine.js';
import { defaultOptimizer } from './optimizers.js';
import { applyStep, disposeAll, initTrainState, type TrainState } from './step.js';
import { shardSizes, workerEngine, type WorkerEngine } from './workers.js';

const spec = presets.tiny({ height: 6, width: 5, channels: 3, levels: 8 });

const batchOf = (index: number, n: number): RecordBatch => {
  const rng = Rng.fromSeed(100 + index, 3);
  const size = spec.height * spec.width * spec.channels;
  const records = Array.from({ length: n }, (_, i) => ({
    index: index * n + i,
    pixels: Uint8Array.from({ length: size }, () => Math.floor(rng.uniform() * spec.levels)),
  }));
  return { shape: spec, records, index };
};

/** Three training steps through an engine; the losses and the final parameters as arrays. */
const train = async (engine: GradientEngine, sizes: number[]) => {
  let state: TrainState = initTrainState(spec, familyOf(spec).init(spec, 42), defaultOptimizer('rmsprop', 0.01));
  const losses: number[] = [];
  for (const [i, n] of sizes.entries()) {
    const { loss, grads } = await engine.compute(spec, state.params, batchOf(i, n));
    losses.push(loss);
    state = applyStep(state, loss, grads, n).state;
  }
  const params = Object.fromEntries(Object.entries(state.params).map(([k, t]) => [k, Array.from(t.dataSync())]));
  disposeAll(state.params, state.slots);
  return { losses, params };
};

// One pair of workers for the whole file (starting one costs a tsx transform and a wasm load); the
// crash test runs last because it kills one of them.
let shared: WorkerEngine;
beforeAll(() => {
  shared = workerEngine({ workers: 2, backend: 'wasm', convImpl: 'gather' });
});
afterAll(async () => {
  await shared.close();
});
const engine = (_workers: 2) => shared;

describe('workerEngine', () => {
  it('shards a batch as evenly as possible', () => {
    expect(shardSizes(16, 2)).toEqual([8, 8]);
    expect(shardSizes(7, 3)).toEqual([3, 2, 2]);
    expect(shardSizes(1, 2)).toEqual([1, 0]);
  });

  it('trains like one process on the same global batches (3 steps, odd batch sizes)', async () => {
    const sizes = [5, 4, 3];
    const before = tf.memory().numTensors;
    const local = await train(localEngine({ convImpl: 'gather' }), sizes);
    const workers = await train(engine(2), sizes);
    expect(tf.memory().numTensors).toBe(before);
    workers.losses.forEach((l, i) => expect(Math.abs(l - local.losses[i]!)).toBeLessThan(1e-4));
    expect(workers.losses[2]).not.toBe(workers.losses[0]);
    for (const [k, v] of Object.entries(local.params)) {
      const w = workers.params[k]!;
      v.forEach((x, j) => expect(Math.abs(w[j]! - x)).toBeLessThan(1e-5));
    }
  });

  it('reports a flat tensor count in every worker across steps', async () => {
    const e = engine(2);
    const params: NamedTensors = familyOf(spec).init(spec, 1);
    const counts: number[][] = [];
    for (let i = 0; i < 4; i++) {
      const r = await e.compute(spec, params, batchOf(i, 4));
      disposeAll(r.grads);
      counts.push(e.lastStats().map((s) => s.numTensors));
      expect(e.lastStats().map((s) => s.images)).toEqual([2, 2]);
    }
    disposeAll(params);
    for (const c of counts) expect(c).toEqual(counts[0]);
  });

  it('a worker that dies rejects the pending compute with an error naming it', async () => {
    const e = engine(2);
    const params = familyOf(spec).init(spec, 1);
    await e.compute(spec, params, batchOf(0, 2)).then((r) => disposeAll(r.grads));
    const pending = e.compute(spec, params, batchOf(1, 64));
    // Kill worker 1 while it computes: its thread goes away as a crash would.
    await e.kill(1);
    await expect(pending).rejects.toThrow(/gradient worker 1 .*(exited|died)/);
    await expect(e.compute(spec, params, batchOf(2, 2))).rejects.toThrow(/gradient worker 1/);
    disposeAll(params);
  });
});
