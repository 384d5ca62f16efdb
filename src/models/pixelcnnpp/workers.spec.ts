// Dropout under data-parallel training: PixelCNN++ with dropout 0.5 gives the same loss and
// gradients on 2 gradient workers as in one process (the masks are keyed by step and image
// position, not by shard), and the comparison can tell: masks drawn from another seed differ.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordBatch } from '../../data/records.js';
import { Rng } from '../../rng.js';
import { localEngine, type GradientEngine } from '../../train/engine.js';
import { disposeAll } from '../../train/step.js';
import type { NamedTensors } from '../../tf.js';
import { workerEngine, type WorkerEngine } from '../../train/workers.js';
import { familyOf } from '../registry.js';
import { pixelCnnPpPresets, type PixelCnnPpSpec } from './spec.js';

const spec: PixelCnnPpSpec = { ...pixelCnnPpPresets.tiny({ height: 4, width: 4, channels: 3, levels: 8 }), dropout: 0.5 };

const batchOf = (index: number, n: number): RecordBatch => {
  const rng = Rng.fromSeed(200 + index, 3);
  const size = spec.height * spec.width * spec.channels;
  const records = Array.from({ length: n }, (_, i) => ({ index: index * n + i, pixels: Uint8Array.from({ length: size }, () => rng.int(spec.levels)) }));
  return { shape: spec, records, index };
};

/** Loss and gradients of one batch from the same parameters, read back. */
const step = async (engine: GradientEngine, params: NamedTensors, batch: RecordBatch) => {
  const { loss, grads } = await engine.compute(spec, params, batch);
  const g = Object.fromEntries(Object.entries(grads).map(([k, t]) => [k, Array.from(t.dataSync())]));
  disposeAll(grads);
  return { loss, grads: g };
};

const worst = (a: Record<string, number[]>, b: Record<string, number[]>) =>
  Math.max(...Object.keys(a).map((k) => Math.max(...a[k]!.map((x, j) => Math.abs(x - b[k]![j]!)))));

let shared: WorkerEngine;
beforeAll(() => {
  shared = workerEngine({ workers: 2, backend: 'wasm', convImpl: 'gather' });
});
afterAll(async () => {
  await shared.close();
});

describe('PixelCNN++ dropout on 2 workers', () => {
  // Gradients from the same parameters (a training trajectory would also compare float sums: RMSProp
  // and Adam magnify their last bits in near-zero gradients within a few steps, dropout or not).
  it('every shard draws the masks one process draws: the same loss and gradients, step by step and batch size by batch size', async () => {
    const params = familyOf(spec).init(spec, 42);
    for (const [index, n] of [[0, 5], [1, 4], [2, 3], [7, 1], [3, 2]] as const) {
      const local = await step(localEngine({ convImpl: 'gather' }), params, batchOf(index, n));
      const workers = await step(shared, params, batchOf(index, n));
      expect(Math.abs(workers.loss - local.loss)).toBeLessThan(1e-4);
      expect(worst(local.grads, workers.grads)).toBeLessThan(1e-5);
      // the check can tell: masks of another seed give other gradients (by far more than the tolerance)
      const other = await step(localEngine({ convImpl: 'gather', training: { seed: 1, step: 0, first: 0 } }), params, batchOf(index, n));
      expect(worst(local.grads, other.grads)).toBeGreaterThan(1e-3);
    }
    disposeAll(params);
  }, 180_000);
});
