// A new run bounded by --time-limit gets the recipe its budget allows (pipelines/config.ts
// timeBudgetConfig): no step cap, RMSProp annealed by a cosine schedule to the step the limit
// allows, the weight average, batch 32, and for a PixelCNN the reference size from 10 minutes on.
// Flags and the config file override every field of it; a resume keeps the stored run.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as O from 'fp-ts/lib/Option.js';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeCheckpoint, loadLatestCheckpoint } from '../src/checkpoint/checkpoint.js';
import { BUDGET_BATCH, BUDGET_EMA, BUDGET_PRESET_FROM_SECONDS, defaultRunConfig, RANGES, resolveRunConfig, timeBudgetConfig } from './config.js';
import { presetsOfFamily as presetsOf } from '../src/models/registry.js';
import { run } from './run.js';

const root = mkdtempSync(join(tmpdir(), 'pixelstreams-budget-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('timeBudgetConfig', () => {
  it('an hour of PixelCNN: the reference size, cosine to the limit, the average, batch 32, no step cap', () => {
    const c = timeBudgetConfig(3600, presetsOf('pixelcnn'), {});
    expect(c).toMatchObject({ preset: 'reference', lrSchedule: 'cosine', ema: BUDGET_EMA, batchSize: BUDGET_BATCH, steps: RANGES.steps!.max, optimizer: { name: 'rmsprop', learningRate: 1e-3 } });
    // Negative control: the plain defaults have none of it.
    expect(defaultRunConfig).not.toHaveProperty('ema');
    expect(defaultRunConfig).not.toHaveProperty('lrSchedule');
    expect(defaultRunConfig.steps).toBeLessThan(c.steps);
  });

  it("a long budget picks the family's larger size (PixelCNN reference, the paper's MNIST PixelRNNs); a short one, or a family without one, keeps the default", () => {
    expect(timeBudgetConfig(BUDGET_PRESET_FROM_SECONDS - 1, presetsOf('pixelcnn'), {})).not.toHaveProperty('preset');
    expect(timeBudgetConfig(BUDGET_PRESET_FROM_SECONDS, presetsOf('pixelcnn'), {}).preset).toBe('reference');
    expect(timeBudgetConfig(3600, presetsOf('row-lstm'), {}).preset).toBe('mnist');
    expect(timeBudgetConfig(3600, presetsOf('diagonal-bilstm'), {}).preset).toBe('mnist');
    expect(timeBudgetConfig(3600, presetsOf('gated-pixelcnn'), {})).not.toHaveProperty('preset');
  });

  it('a schedule asked for by --lr-decay or --lr-schedule is not replaced by the cosine one', () => {
    expect(timeBudgetConfig(3600, presetsOf('pixelcnn'), { lrDecay: 0.99 })).not.toHaveProperty('lrSchedule');
    const decayed = resolveRunConfig({ lrDecay: 0.99 }, undefined, 'flags', timeBudgetConfig(3600, presetsOf('pixelcnn'), { lrDecay: 0.99 }));
    expect(E.isRight(decayed) && decayed.right.lrDecay).toBe(0.99);
    const linear = resolveRunConfig({ lrSchedule: 'linear' }, undefined, 'flags', timeBudgetConfig(3600, presetsOf('pixelcnn'), { lrSchedule: 'linear' }));
    expect(E.isRight(linear) && linear.right.lrSchedule).toBe('linear');
  });

  it('flags and the config file override it', () => {
    const base = timeBudgetConfig(3600, presetsOf('pixelcnn'), {});
    const c = resolveRunConfig({ batchSize: 8, preset: 'small' }, { ema: 0.99, steps: 50 }, 'run.json', base);
    if (E.isLeft(c)) throw c.left;
    expect(c.right).toMatchObject({ batchSize: 8, preset: 'small', ema: 0.99, steps: 50, lrSchedule: 'cosine' });
  });
});

describe('a run with --time-limit', () => {
  it('trains with the recipe until the limit, and says so in its log and its stored config', async () => {
    const out = join(root, 'timed');
    const lines: string[] = [];
    const r = await run(
      { flags: { preset: 'tiny', limit: 48, validation: 8, batchSize: 4, binarize: 'threshold', samples: 0 }, out, workers: 1, backend: 'wasm', timeLimitSeconds: 2 },
      { log: (l) => lines.push(l), interrupt: { requested: false } },
    )();
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.report.training!.stoppedBy).toBe('time limit');
    expect(r.right.report.config).toMatchObject({ lrSchedule: 'cosine', ema: BUDGET_EMA, batchSize: 4, steps: RANGES.steps!.max, preset: 'tiny' });
    expect(lines.join('\n')).toMatch(/--time-limit 2 s: the budget's recipe .*cosine schedule to the step the limit allows, EMA 0\.9995/);
    const c = loadLatestCheckpoint(out);
    if (E.isLeft(c) || O.isNone(c.right)) throw new Error('no checkpoint');
    expect(c.right.value.contents.optimizer).toMatchObject({ schedule: { kind: 'cosine', fixedAt: expect.any(Number) }, ema: { decay: BUDGET_EMA } });
    disposeCheckpoint(c.right.value.contents);
  });

  it('of 10 minutes or more, trains the reference PixelCNN when no --preset is given', async () => {
    const lines: string[] = [];
    // stopped at once (as by a signal): only the choice is looked at
    const r = await run(
      { flags: { limit: 48, validation: 8, binarize: 'threshold', samples: 0, batchSize: 2, evalLimit: 2 }, out: join(root, 'long'), workers: 1, backend: 'wasm', timeLimitSeconds: 3600 },
      { log: (l) => lines.push(l), interrupt: { requested: true } },
    )();
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.report.config.preset).toBe('reference');
    expect(r.right.report.spec).toMatchObject({ family: 'pixelcnn', hidden: 64, residualLayers: 6 });
    expect(lines.join('\n')).toMatch(/the budget's recipe .*: preset reference, /);
  });

  it('without it, the same flags train with the plain defaults (negative control)', async () => {
    const r = await run(
      { flags: { preset: 'tiny', limit: 48, validation: 8, batchSize: 4, binarize: 'threshold', samples: 0, steps: 2 }, out: join(root, 'plain'), workers: 1, backend: 'wasm' },
      { log: () => {}, interrupt: { requested: false } },
    )();
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.report.config).not.toHaveProperty('ema');
    expect(r.right.report.config).not.toHaveProperty('lrSchedule');
  });
});
