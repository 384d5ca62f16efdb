import { describe, expect, it } from 'vitest';
import { concat, EMPTY, from, interval, lastValueFrom, map, take, throwError, toArray } from 'rxjs';
import { initModel, presets } from '../src/models/registry.js';
import { disposeAll } from '../src/train/step.js';
import { tf } from '../src/tf.js';
import { randomBatches } from '../test/fixtures.js';
import { batchNll, evaluate } from './evaluate.js';

const shape = { height: 5, width: 4, channels: 3 as const, levels: 4 };
const model = initModel(presets.tiny!(shape), 3);

describe('evaluate operator', () => {
  it('emits running totals whose last value is the mean NLL over all images', async () => {
    const batches = randomBatches(shape, 3, 5);
    const before = tf.memory().numTensors;
    const out = await lastValueFrom(from(batches).pipe(evaluate(model), toArray()));
    expect(out.map((o) => o.images)).toEqual([5, 10, 15]);
    const total = batches.reduce((s, b) => s + batchNll(model, b), 0);
    expect(out[2]!.meanNll).toBeCloseTo(total / 15, 3);
    expect(out[2]!.bitsPerDim).toBeCloseTo(total / 15 / (5 * 4 * 3 * Math.LN2), 5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('emits nothing for an empty split', async () => {
    expect(await lastValueFrom(EMPTY.pipe(evaluate(model), toArray()))).toEqual([]);
  });

  it('propagates errors', async () => {
    const [b] = randomBatches(shape, 1, 2);
    await expect(lastValueFrom(concat(from([b!]), throwError(() => new Error('bad file'))).pipe(evaluate(model)))).rejects.toThrow('bad file');
  });

  it('stops pulling batches on early unsubscribe', async () => {
    const [b] = randomBatches(shape, 1, 2);
    let made = 0;
    const out = await lastValueFrom(interval(1).pipe(map(() => (made++, b!)), evaluate(model), take(2), toArray()));
    expect(out).toHaveLength(2);
    const madeAtStop = made;
    await new Promise((r) => setTimeout(r, 20));
    expect(made).toBe(madeAtStop);
  });
});

afterAll(() => disposeAll(model.params));
import { afterAll } from 'vitest';
