// Bounded memory while sampling: the tensor count and bytes are flat over 100 sampled
// images, and a slow asynchronous consumer pulling from sampleAsync never has more than one
// position's events computed ahead of it.
import { filter, lastValueFrom, tap, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initModel, presets } from '../src/models/registry.js';
import { tf } from '../src/tf.js';
import { disposeAll } from '../src/train/step.js';
import { sample, sampleAsync } from '../streams/sample.js';

const spec = presets.small({ height: 12, width: 12, channels: 1, levels: 2 });
const model = initModel(spec, 3);
afterAll(() => disposeAll(model.params));

describe('memory while sampling', () => {
  it('keeps tensors and bytes flat over 100 images (cached sampler)', async () => {
    const before = tf.memory();
    const atImage: { tensors: number; bytes: number }[] = [];
    const images = await lastValueFrom(
      sample(model, { count: 100, batchSize: 10, seed: 4 }).pipe(
        filter((e) => e.kind === 'image'),
        tap(() => atImage.push({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes })),
        toArray(),
      ),
    );
    expect(images).toHaveLength(100);
    // Every image event sees the same live tensors: the model plus one batch's sampler caches.
    const counts = new Set(atImage.map((m) => m.tensors));
    const bytes = new Set(atImage.map((m) => m.bytes));
    expect(counts.size).toBe(1);
    expect(bytes.size).toBe(1);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('the naive sampler keeps them flat too', async () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await lastValueFrom(
      sample(model, { count: 4, batchSize: 2, seed: 4, cached: false }).pipe(
        tap((e) => e.kind === 'row' && counts.push(tf.memory().numTensors)),
        toArray(),
      ),
    );
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a slow consumer of sampleAsync is never more than one position behind the producer', async () => {
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    const counting = {
      ...model,
      // count positions computed by wrapping the naive forward path: one call per position
      forward: (x: Parameters<typeof model.forward>[0]) => {
        produced++;
        return model.forward(x);
      },
    };
    for await (const e of sampleAsync(counting, { count: 2, batchSize: 2, seed: 1, cached: false })) {
      if (e.kind !== 'value') continue;
      consumed++;
      maxAhead = Math.max(maxAhead, produced * 2 - consumed); // 2 images per position
      if (consumed % 16 === 0) await new Promise((r) => setTimeout(r, 2)); // a slow consumer
    }
    expect(consumed).toBe(2 * 12 * 12);
    expect(maxAhead).toBeLessThanOrEqual(2);
  });
});
