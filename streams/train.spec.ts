import { describe, expect, it } from 'vitest';
import { concat, EMPTY, firstValueFrom, from, lastValueFrom, Observable, repeat, take, tap, throwError, toArray } from 'rxjs';
import { presets, initModel } from '../src/models/registry.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { disposeAll, initTrainState, NonFiniteError } from '../src/train/step.js';
import type { GradientEngine } from '../src/train/engine.js';
import { tf } from '../src/tf.js';
import { randomBatches } from '../test/fixtures.js';
import { train } from './train.js';

const shape = { height: 6, width: 6, channels: 1 as const, levels: 4 };
const spec = presets.tiny!(shape);
const freshState = (lr = 3e-3) => initTrainState(spec, initModel(spec, 7).params, defaultOptimizer('adam', lr));

describe('train operator', () => {
  it('emits one event per batch with increasing steps, and repeated steps on one batch lower the loss', async () => {
    const [batch] = randomBatches(shape, 1, 8);
    const events = await lastValueFrom(from([batch!]).pipe(repeat(30), train(freshState()), toArray()));
    expect(events.map((e) => e.metrics.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const first = events[0]!.metrics.loss;
    const last = events[29]!.metrics.loss;
    expect(last).toBeLessThan(first * 0.9);
    disposeAll(events[29]!.state.params, events[29]!.state.slots);
  });

  it('leaves tf.memory().numTensors flat across 50 steps and hands the final state to the subscriber', async () => {
    const batches = randomBatches(shape, 5, 4);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const events = await lastValueFrom(
      from(batches).pipe(repeat(10), train(freshState()), tap(() => counts.push(tf.memory().numTensors)), toArray()),
    );
    expect(events).toHaveLength(50);
    expect(new Set(counts).size).toBe(1);
    const last = events[49]!;
    disposeAll(last.state.params, last.state.slots);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('beforeStep sees each state before its step and what it returns is trained on (a schedule fixed mid-run is kept)', async () => {
    const batches = randomBatches(shape, 4, 4);
    const seen: number[] = [];
    const events = await lastValueFrom(
      from(batches).pipe(
        train(freshState(), {
          beforeStep: (s) => {
            seen.push(s.step);
            return s.step === 2 ? { ...s, optimizer: { ...s.optimizer, schedule: { kind: 'exponential', gamma: 0.5 } } } : s;
          },
        }),
        toArray(),
      ),
    );
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(events.map((e) => e.state.optimizer.schedule?.kind ?? 'none')).toEqual(['none', 'none', 'exponential', 'exponential']);
    disposeAll(events[3]!.state.params, events[3]!.state.slots);
  });

  it('completes without events on an empty stream', async () => {
    const state = freshState();
    const events = await lastValueFrom(EMPTY.pipe(train(state), toArray()));
    expect(events).toEqual([]);
    disposeAll(state.params, state.slots);
  });

  it('propagates a source error and disposes its state', async () => {
    const before = tf.memory().numTensors;
    const state = freshState();
    const [batch] = randomBatches(shape, 1, 2);
    const failing = concat(from([batch!]), throwError(() => new Error('reader broke')));
    await expect(lastValueFrom(failing.pipe(train(state)))).rejects.toThrow('reader broke');
    await new Promise((r) => setTimeout(r, 20)); // the step in flight finishes, then releases its state
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops on early unsubscribe and disposes its state', async () => {
    const before = tf.memory().numTensors;
    const batches = randomBatches(shape, 1, 2);
    let pulled = 0;
    const endless = new Observable<(typeof batches)[number]>((sub) => {
      const id = setInterval(() => {
        pulled++;
        sub.next(batches[0]!);
      }, 1);
      return () => clearInterval(id);
    });
    const firstTwo = await lastValueFrom(endless.pipe(train(freshState()), take(2), toArray()));
    expect(firstTwo.map((e) => e.metrics.step)).toEqual([1, 2]);
    const pulledAtStop = pulled;
    await new Promise((r) => setTimeout(r, 30));
    expect(pulled).toBe(pulledAtStop);
    await new Promise((r) => setTimeout(r, 20));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops with NonFiniteError naming the step, or skips and counts such batches', async () => {
    const [batch] = randomBatches(shape, 1, 2);
    const nanAt = (bad: number): GradientEngine => {
      let calls = 0;
      return {
        description: 'test',
        workers: 1,
        compute: async (_s, params) => {
          calls++;
          const grads = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, tf.zerosLike(p)]));
          return { loss: calls === bad ? NaN : 1, grads };
        },
        close: async () => {},
      };
    };
    const before = tf.memory().numTensors;
    const err = await lastValueFrom(from([batch!]).pipe(repeat(4), train(freshState(), { engine: nanAt(3) }))).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as Error).message).toMatch(/step 3: loss is not finite/);
    expect(tf.memory().numTensors).toBe(before);

    const events = await lastValueFrom(
      from([batch!]).pipe(repeat(4), train(freshState(), { engine: nanAt(2), onNonFinite: 'skip' }), toArray()),
    );
    expect(events.map((e) => e.skipped)).toEqual([false, true, false, false]);
    expect(events.map((e) => e.metrics.step)).toEqual([1, 2, 3, 4]);
    expect(events[3]!.skippedTotal).toBe(1);
    disposeAll(events[3]!.state.params, events[3]!.state.slots);
  });

  it('is cold: nothing is computed before subscription', async () => {
    const state = freshState();
    let computed = 0;
    const engine: GradientEngine = {
      description: 'count', workers: 1,
      compute: async (_s, params) => { computed++; return { loss: 1, grads: Object.fromEntries(Object.entries(params).map(([n, p]) => [n, tf.zerosLike(p)])) }; },
      close: async () => {},
    };
    const [batch] = randomBatches(shape, 1, 2);
    const stream = from([batch!]).pipe(train(state, { engine }));
    expect(computed).toBe(0);
    const e = await firstValueFrom(stream);
    expect(computed).toBe(1);
    disposeAll(e.state.params, e.state.slots);
  });
});
