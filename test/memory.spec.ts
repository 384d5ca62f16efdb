// Bounded memory while training: the number of live tensors and their bytes stay
// flat over 1,000 training steps, and a checkpoint save/load cycle does not leak either.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { disposeCheckpoint, fromCheckpoint, loadCheckpoint, saveCheckpoint, toCheckpoint } from '../src/checkpoint/checkpoint.js';
import { recordsToTensor } from '../src/data/toTensor.js';
import { defaultConvImpl } from '../src/layers/maskedConv.js';
import { familyOf, presets } from '../src/models/registry.js';
import { tf } from '../src/tf.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { disposeAll, initTrainState, trainStep, type TrainState } from '../src/train/step.js';
import { randomRecords } from './fixtures.js';

const STEPS = 1000;

describe('bounded memory', () => {
  it(`tf.memory() numTensors and numBytes are flat over ${STEPS} training steps`, () => {
    const spec = presets.tiny({ height: 6, width: 6, channels: 1, levels: 4 });
    const options = { convImpl: defaultConvImpl() };
    const batches = Array.from({ length: 4 }, (_, i) => recordsToTensor(spec, randomRecords(spec, 4, i + 1)));
    let state: TrainState = initTrainState(spec, familyOf(spec).init(spec, 1), defaultOptimizer('adam'));
    const seen: Record<number, { numTensors: number; numBytes: number }> = {};
    const losses: number[] = [];
    let rss100 = 0;
    const started = Date.now();
    for (let step = 1; step <= STEPS; step++) {
      const r = trainStep(state, batches[step % batches.length]!, options);
      state = r.state;
      losses.push(r.metrics.loss);
      const { numTensors, numBytes } = tf.memory();
      seen[step] = { numTensors, numBytes };
      if (step === 100) rss100 = process.memoryUsage().rss;
    }
    const seconds = (Date.now() - started) / 1000;
    const at10 = seen[10]!;
    const last = seen[STEPS]!;
    console.log(
      `memory: step 10 ${at10.numTensors} tensors / ${at10.numBytes} B; step ${STEPS} ${last.numTensors} tensors / ${last.numBytes} B; ` +
        `${STEPS} steps in ${seconds.toFixed(1)} s; rss at step 100 ${(rss100 / 2 ** 20).toFixed(0)} MiB, at step ${STEPS} ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
    );
    // RSS stable within a stated bound: under 32 MiB of growth from step 100 to the last step.
    expect(process.memoryUsage().rss - rss100).toBeLessThan(32 * 2 ** 20);
    // Flat: every step holds exactly as many tensors and bytes as step 10.
    for (let step = 1; step <= STEPS; step++) expect(seen[step]).toEqual(at10);
    // The training is real: the loss went down.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-50))).toBeLessThan(mean(losses.slice(0, 50)));

    // A checkpoint round trip in the middle of training neither leaks nor duplicates tensors.
    const dir = mkdtempSync(join(tmpdir(), 'memory-'));
    const before = tf.memory().numTensors;
    const path = saveCheckpoint(dir, toCheckpoint(state, null));
    if (E.isLeft(path)) throw path.left;
    const loaded = loadCheckpoint(path.right, { expectSpec: spec });
    if (E.isLeft(loaded)) throw loaded.left;
    disposeAll(state.params, state.slots);
    state = fromCheckpoint(loaded.right);
    expect(tf.memory().numTensors).toBe(before);
    state = trainStep(state, batches[0]!, options).state;
    expect(tf.memory().numTensors).toBe(before);
    disposeCheckpoint({ ...loaded.right, params: state.params, slots: state.slots });
    rmSync(dir, { recursive: true, force: true });
    tf.dispose(batches);
  });
});
