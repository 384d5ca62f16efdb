// Strict run configs: an object of known keys, stated ranges, JSON-safe values; flags over the
// config file over the defaults; the optimizer of a config honoured; every value written to a
// checkpoint manifest reads back the same.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeCheckpoint, loadCheckpoint, saveCheckpoint, toCheckpoint } from '../src/checkpoint/checkpoint.js';
import { familyOf, presets } from '../src/models/registry.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { disposeAll, initTrainState } from '../src/train/step.js';
import { decodeRunConfig, defaultRunConfig, editDistance, nearest, RANGES, resolveRunConfig, scheduleKindOf, SEED_MAX, trainingOptimizer } from './config.js';

const root = mkdtempSync(join(tmpdir(), 'pixelstreams-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const left = (r: E.Either<Error, unknown>): string => {
  if (E.isRight(r)) throw new Error(`expected a Left, found ${JSON.stringify(r.right)}`);
  return r.left.message;
};
const right = <A>(r: E.Either<Error, A>): A => {
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

describe('run config', () => {
  it('the defaults decode, and a bare resolve gives them (negative control for every rejection below)', () => {
    expect(right(decodeRunConfig(defaultRunConfig, 'defaults'))).toEqual(defaultRunConfig);
    expect(right(resolveRunConfig({}, undefined, 'options'))).toEqual(defaultRunConfig);
  });

  it.each([
    [null, /cfg\.json: expected a JSON object \(a run config\), found null/],
    [[1, 2], /found an array/],
    [42, /found number 42/],
    ['steps', /found a string "steps"/],
  ])('a config that is not an object (%j) is an error naming the file', (value, message) => {
    expect(left(resolveRunConfig({}, value, 'cfg.json'))).toMatch(message);
  });

  it('an unknown key is an error naming it and the nearest known key', () => {
    expect(left(resolveRunConfig({}, { step: 10 }, 'cfg.json'))).toMatch(/cfg\.json: step: unknown key \(did you mean 'steps'\?/);
    expect(left(resolveRunConfig({}, { batchsize: 10 }, 'cfg.json'))).toMatch(/batchsize: unknown key \(did you mean 'batchSize'\?/);
    expect(left(resolveRunConfig({}, { optimizer: { name: 'adam', beta3: 0.9 } }, 'cfg.json'))).toMatch(/optimizer\.beta3: unknown key \(did you mean 'optimizer\.beta1'\?/);
    expect(left(decodeRunConfig({ ...defaultRunConfig, temprature: 1 }, 'stored'))).toMatch(/temprature: unknown key \(did you mean 'temperature'\?/);
    expect(nearest('lerningRate', ['learningRate', 'decay'])).toBe('learningRate');
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('flags beat the config file, which beats the defaults', () => {
    const file = { steps: 50, data: 'idx:a.gz', batchSize: 8, temperature: 0.5 };
    const c = right(resolveRunConfig({ steps: 7, data: 'png:dir' }, file, 'cfg.json'));
    expect([c.steps, c.data, c.batchSize, c.temperature, c.seed]).toEqual([7, 'png:dir', 8, 0.5, defaultRunConfig.seed]);
    // negative control: without the flags the file's values stand
    const d = right(resolveRunConfig({}, file, 'cfg.json'));
    expect([d.steps, d.data]).toEqual([50, 'idx:a.gz']);
  });

  it("the config's optimizer is honoured: a name, an object, partial settings; --optimizer and --lr win", () => {
    expect(right(resolveRunConfig({}, { optimizer: 'adam' }, 'c')).optimizer).toEqual(defaultOptimizer('adam'));
    expect(right(resolveRunConfig({}, { optimizer: { name: 'adam', beta2: 0.99 } }, 'c')).optimizer).toEqual({ ...defaultOptimizer('adam'), beta2: 0.99 });
    expect(right(resolveRunConfig({}, { optimizer: { learningRate: 0.01 } }, 'c')).optimizer).toEqual({ ...defaultOptimizer('rmsprop'), learningRate: 0.01 });
    expect(right(resolveRunConfig({ optimizer: 'rmsprop', lr: 0.1 }, { optimizer: 'adam' }, 'c')).optimizer).toEqual({ ...defaultOptimizer('rmsprop'), learningRate: 0.1 });
    expect(left(resolveRunConfig({}, { optimizer: 'sgd' }, 'c'))).toMatch(/optimizer\.name: expected "rmsprop" \| "adam", found "sgd"/);
  });

  it('the schedule and the average become optimizer settings: lrDecay alone means exponential, cosine spans --steps', () => {
    const cfg = (file: Record<string, unknown>) => right(resolveRunConfig({}, file, 'cfg.json'));
    expect(trainingOptimizer(cfg({}))).toEqual(defaultOptimizer('rmsprop')); // the negative control: nothing added
    expect(scheduleKindOf(cfg({ lrDecay: 0.99 }))).toBe('exponential');
    expect(trainingOptimizer(cfg({ lrDecay: 0.99 })).schedule).toEqual({ kind: 'exponential', gamma: 0.99 });
    expect(trainingOptimizer(cfg({ lrSchedule: 'exponential' })).schedule).toEqual({ kind: 'exponential', gamma: 0.999995 });
    expect(trainingOptimizer(cfg({ lrSchedule: 'cosine', steps: 40 })).schedule).toEqual({ kind: 'cosine', floor: 0, totalSteps: 40 });
    expect(trainingOptimizer(cfg({ lrSchedule: 'linear', lrFloor: 0.2 }), 7).schedule).toEqual({ kind: 'linear', floor: 0.2, totalSteps: 7 });
    expect(trainingOptimizer(cfg({ ema: 0.9995 })).ema).toEqual({ decay: 0.9995, warmup: true });
    expect(trainingOptimizer(cfg({ ema: 0.9, emaWarmup: false })).ema).toEqual({ decay: 0.9, warmup: false });
    // Flags over the file, as for every field.
    expect(right(resolveRunConfig({ ema: 0.5, lrSchedule: 'cosine' }, { ema: 0.9, lrSchedule: 'linear' }, 'c'))).toMatchObject({ ema: 0.5, lrSchedule: 'cosine' });
    // Settings of the config's optimizer object are not where these go.
    expect(left(resolveRunConfig({}, { optimizer: { name: 'adam', ema: { decay: 0.9, warmup: true } } }, 'cfg.json'))).toMatch(/optimizer\.ema: unknown key/);
    expect(left(resolveRunConfig({}, { lrSchedule: 'step' }, 'cfg.json'))).toMatch(/lrSchedule/);
    expect(left(resolveRunConfig({}, { lrSchedule: 'constant', lrFloor: 0.1 }, 'cfg.json'))).toMatch(/lrFloor: expected only with lrSchedule cosine or linear, found lrSchedule constant/);
  });

  it('every number has a stated range; out of it is an error naming the field and the range', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ seed: SEED_MAX + 1 }, /seed: expected an integer in 0\.\.4294967295, found 4294967296/],
      [{ samples: 1e9 }, /samples: expected an integer in 0\.\.1024, found 1000000000/],
      [{ temperature: -1 }, /temperature: expected a number in \[0, 100\], found -1/],
      [{ batchSize: 1e6 }, /batchSize: expected an integer in 1\.\.4096/],
      [{ optimizer: { name: 'rmsprop', decay: 1 } }, /optimizer\.decay: expected a number in \[0, 1\), found 1/],
      [{ optimizer: { name: 'adam', epsilon: 0 } }, /optimizer\.epsilon: expected a number in \(0, 1\], found 0/],
      [{ optimizer: { name: 'adam', beta1: -0.5 } }, /optimizer\.beta1: expected a number in \[0, 1\)/],
      [{ ema: 1 }, /ema: expected a number in \(0, 1\), found 1/],
      [{ ema: 0 }, /ema: expected a number in \(0, 1\), found 0/],
      [{ lrDecay: 0 }, /lrDecay: expected a number in \(0, 1\], found 0/],
      [{ lrSchedule: 'cosine', lrFloor: 1.5 }, /lrFloor: expected a number in \[0, 1\], found 1\.5/],
    ];
    for (const [file, message] of cases) expect(left(resolveRunConfig({}, file, 'cfg.json'))).toMatch(message);
    expect(Object.keys(RANGES).length).toBeGreaterThanOrEqual(15);
  });

  it('Infinity (JSON 1e999) and -0 are rejected up front: they would not survive the manifest', () => {
    expect(left(resolveRunConfig({}, JSON.parse('{"optimizer": {"name": "rmsprop", "epsilon": 1e999}}'), 'c'))).toMatch(/optimizer\.epsilon: expected finite number, found Infinity|optimizer.*Infinity/);
    expect(left(resolveRunConfig({}, { temperature: -0 }, 'c'))).toMatch(/temperature: -0/);
    expect(left(resolveRunConfig({}, { model: 'big' }, 'c'))).toMatch(/model: expected an object of model spec fields, found a string/);
  });

  it('every value written to a manifest round-trips: the config and spec in a checkpoint read back equal', () => {
    const configs = [
      defaultRunConfig,
      right(resolveRunConfig({ seed: SEED_MAX, temperature: 0, evalBatchSize: 7, preset: 'tiny' }, { optimizer: { name: 'adam', epsilon: 1e-12, beta2: 0.9999 }, testData: 'mnist', limit: 5, evalLimit: 3 }, 'c')),
      right(resolveRunConfig({ lr: 3e38 }, { optimizer: { decay: 0 } }, 'c')),
    ];
    configs.forEach((cfg, i) => {
      const spec = presets.tiny({ height: 4, width: 4, channels: 1, levels: 2 });
      const state = initTrainState(spec, familyOf(spec).init(spec, 1), cfg.optimizer);
      const path = right(saveCheckpoint(join(root, `rt-${i}`), toCheckpoint(state, { ...cfg, model: spec })));
      disposeAll(state.params, state.slots);
      const back = right(loadCheckpoint(path));
      expect(back.spec).toEqual(spec);
      expect(back.optimizer).toEqual(cfg.optimizer);
      expect(right(decodeRunConfig(back.run, 'back'))).toEqual({ ...cfg, model: spec });
      disposeCheckpoint(back);
    });
  });

  it('a value that would not round-trip is never written (negative control of the round trip)', () => {
    const spec = presets.tiny({ height: 4, width: 4, channels: 1, levels: 2 });
    const state = initTrainState(spec, familyOf(spec).init(spec, 1), defaultOptimizer('rmsprop'));
    const r = saveCheckpoint(join(root, 'bad'), toCheckpoint({ ...state, optimizer: { ...state.optimizer, epsilon: Infinity } }, {}));
    const s = saveCheckpoint(join(root, 'bad'), toCheckpoint(state, { temperature: NaN }));
    disposeAll(state.params, state.slots);
    expect(left(r)).toMatch(/optimizer\.epsilon: Infinity .*checkpoint not written/);
    expect(left(s)).toMatch(/run\.temperature: NaN/);
  });
});
