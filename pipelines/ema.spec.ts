// Weight averaging and learning-rate schedules through the command line and the run pipeline: the
// average is what train's evaluation, eval and sample use (a model whose average differs from its
// weights gets the average's NLL), it resumes bitwise, a time-bounded cosine schedule ends where the
// time does, and bad values are refused with the field and the range.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeCheckpoint, loadCheckpoint, loadLatestCheckpoint, modelWeights } from '../src/checkpoint/checkpoint.js';
import { bindModel } from '../src/models/registry.js';
import { tf } from '../src/tf.js';
import { defaultOptimizer } from '../src/train/optimizers.js';
import { runCli } from '../test/cliInProcess.js';
import { binarization, readSource } from './data.js';
import { evaluateSet } from './evaluate.js';
import { collectSamples } from './sample.js';
import { run } from './run.js';
import * as O from 'fp-ts/lib/Option.js';
import { prepareData, reconcileSlots, resumedOptimizer, runTraining } from './train.js';
import { resolveRunConfig, trainingOptimizer } from './config.js';
import { resolveSpec } from './run.js';

const root = mkdtempSync(join(tmpdir(), 'pixelstreams-ema-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tiny = ['--preset', 'tiny', '--limit', '48', '--validation', '24', '--batch-size', '8', '--binarize', 'threshold', '--no-progress', '--workers', '1', '--samples', '0'];
const averaged = ['--optimizer', 'adam', '--lr', '0.01', '--ema', '0.9', '--lr-schedule', 'cosine', '--lr-floor', '0.1'];

const checkpointAt = (dir: string, step: number) => {
  const c = loadCheckpoint(join(dir, 'checkpoints', `step-${String(step).padStart(8, '0')}`));
  if (E.isLeft(c)) throw c.left;
  return c.right;
};

describe('weight average from the command line', () => {
  const runDir = join(root, 'run');
  let trained: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    trained = await runCli('train', ...tiny, ...averaged, '--steps', '6', '--checkpoint-every', '3', '--out', runDir);
  });

  it('train keeps the average in its checkpoints and its report says the figures are of the average', () => {
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stderr).toMatch(/learning rate: cosine from 0\.01 to 0\.1 of it at step 6/);
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
    expect(report.evaluation.weights).toBe('average (EMA decay 0.9, warm-up)');
    const c = checkpointAt(runDir, 6);
    expect(c.optimizer).toMatchObject({ name: 'adam', schedule: { kind: 'cosine', floor: 0.1, totalSteps: 6 }, ema: { decay: 0.9, warmup: true } });
    expect(Object.keys(c.slots).filter((n) => n.startsWith('ema/'))).toHaveLength(Object.keys(c.params).length);
    disposeCheckpoint(c);
  });

  it("eval gives the average's NLL, not the raw weights' (which differ)", async () => {
    const r = await runCli('eval', '--run', runDir, '--data', 'mnist', '--binarize', 'threshold', '--limit', '16', '--no-progress');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.weights).toBe('average (EMA decay 0.9, warm-up)');
    const source = await readSource('mnist');
    if (E.isLeft(source)) throw source.left;
    const set = binarization('threshold', 2).fixed(source.right);
    if (E.isLeft(set)) throw set.left;
    const images = { ...set.right, records: set.right.records.slice(0, 16) };
    const c = checkpointAt(runDir, 6);
    const before = tf.memory().numTensors;
    const nll = async (params: typeof c.params) => (await evaluateSet(bindModel(c.spec, params), images, { batchSize: 64 })).meanNll;
    const [avg, raw] = [await nll(modelWeights(c).params), await nll(c.params)];
    expect(tf.memory().numTensors).toBe(before);
    disposeCheckpoint(c);
    expect(Math.abs(avg - raw)).toBeGreaterThan(1e-3); // the control: the two really differ
    expect(report.meanNll).toBeCloseTo(avg, 9);
    // --weights raw asks for the last update's weights instead.
    const r2 = await runCli('eval', '--run', runDir, '--data', 'mnist', '--binarize', 'threshold', '--limit', '16', '--no-progress', '--weights', 'raw');
    expect(r2.code, r2.stderr).toBe(0);
    const rawReport = JSON.parse(r2.stdout);
    expect(rawReport.weights).toMatch(/^raw/);
    expect(rawReport.meanNll).toBeCloseTo(raw, 9);
  });

  it('sample reports the average it sampled from', async () => {
    const r = await runCli('sample', '--run', runDir, '--count', '1', '--out', join(root, 's.png'));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).weights).toBe('average (EMA decay 0.9, warm-up)');
  });

  it("the browser's loader (export and serve pages) reads the average, and a checkpoint without one as before", async () => {
    // web/ is type-checked with the DOM library (web/tsconfig.json), so it is imported by a path tsc does not follow here.
    const webLoader = '../web/loadCheckpoint.js';
    const { parseCheckpoint } = (await import(/* @vite-ignore */ webLoader)) as {
      parseCheckpoint: (manifest: unknown, bytes: ArrayBuffer, where: string) => Promise<{ params: Record<string, tf.Tensor> }>;
    };
    const dir = join(runDir, 'checkpoints', 'step-00000006');
    const bytes = (f: string) => {
      const b = readFileSync(join(dir, f));
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    };
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const web = await parseCheckpoint(manifest, bytes('weights.bin'), dir);
    const c = checkpointAt(runDir, 6);
    const avg = modelWeights(c).params;
    for (const [name, x] of Object.entries(web.params)) expect(Array.from(x.dataSync()), name).toEqual(Array.from(avg[name]!.dataSync()));
    // Negative control: renamed, the average's entries are skipped like any slot, and the parameters load.
    const renamed = JSON.parse(JSON.stringify(manifest).replace(/"slot\/ema\//g, '"slot/old-ema/'));
    const plain = await parseCheckpoint({ ...renamed, pixelstreams: { ...renamed.pixelstreams, checksum: manifest.pixelstreams.checksum } }, bytes('weights.bin'), dir);
    for (const [name, x] of Object.entries(plain.params)) expect(Array.from(x.dataSync()), name).toEqual(Array.from(c.params[name]!.dataSync()));
    tf.dispose([...Object.values(web.params), ...Object.values(plain.params)]);
    disposeCheckpoint(c);
  });

  it("serve streams samples of the average (the same images as sampling the average in-process, not the raw weights')", async () => {
    const { serveRun } = await import('./serve.js');
    const server = await serveRun({ runDir });
    try {
      const text = await (await fetch(`${server.url}runs/run/sample?count=2&seed=5`)).text();
      const served = text
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => JSON.parse(l.slice(6)))
        .filter((e) => e.kind === 'image')
        .map((e) => e.pixels as number[]);
      expect(served).toHaveLength(2);
      const c = checkpointAt(runDir, 6);
      const draw = async (params: typeof c.params) => (await collectSamples(bindModel(c.spec, params), { count: 2, seed: 5, temperature: 1 })).images.map((x) => Array.from(x));
      const [avg, raw] = [await draw(modelWeights(c).params), await draw(c.params)];
      disposeCheckpoint(c);
      expect(served).toEqual(avg);
      expect(served).not.toEqual(raw); // the control: the raw weights draw other images
    } finally {
      await server.close();
    }
  });

  it('an interrupted run resumed gives bitwise the average (and weights) of one uninterrupted run', async () => {
    const req = (out: string, resume = false) => ({
      flags: { preset: 'tiny', limit: 48, validation: 24, batchSize: 8, binarize: 'threshold' as const, samples: 0, steps: 9, optimizer: 'adam' as const, lr: 0.01, ema: 0.9, lrSchedule: 'cosine' as const, lrFloor: 0.1 },
      out, workers: 1, backend: 'wasm', resume,
    });
    const quiet = { log: () => {}, interrupt: { requested: false } };
    const [straight, cut] = [join(root, 'straight'), join(root, 'cut')];
    expect(E.isRight(await run(req(straight), quiet)())).toBe(true);
    let steps = 0;
    const first = await run(req(cut), { ...quiet, stopTraining: () => ++steps >= 5 })();
    expect(E.isRight(first) && first.right.report.training!.step).toBe(5);
    expect(E.isRight(await run(req(cut, true), quiet)())).toBe(true);
    const [a, b] = [checkpointAt(straight, 9), checkpointAt(cut, 9)];
    expect(b.optimizer).toEqual(a.optimizer);
    expect(Object.keys(a.slots).some((n) => n.startsWith('ema/'))).toBe(true);
    for (const [name, x] of Object.entries(a.slots)) expect(Array.from(b.slots[name]!.dataSync()), name).toEqual(Array.from(x.dataSync()));
    for (const [name, x] of Object.entries(a.params)) expect(Array.from(b.params[name]!.dataSync()), name).toEqual(Array.from(x.dataSync()));
    disposeCheckpoint(a);
    disposeCheckpoint(b);
  });
});

describe('schedule and average values', () => {
  it('out-of-range values are refused naming the flag and the range (exit 2), and the config field (exit 1)', async () => {
    const ema = await runCli('train', ...tiny, '--ema', '1.5', '--out', join(root, 'bad1'));
    expect(ema.code).toBe(2);
    expect(ema.stderr).toMatch(/--ema: expected a number in \(0, 1\), found '1\.5'/);
    const decay = await runCli('train', ...tiny, '--lr-decay', '0', '--out', join(root, 'bad2'));
    expect(decay.code).toBe(2);
    expect(decay.stderr).toMatch(/--lr-decay: expected a number in \(0, 1\], found '0'/);
    const floor = await runCli('train', ...tiny, '--lr-floor', '2', '--out', join(root, 'bad3'));
    expect(floor.code).toBe(2);
    const schedule = await runCli('train', ...tiny, '--lr-schedule', 'step', '--out', join(root, 'bad4'));
    expect(schedule.code).toBe(2);
    const file = join(root, 'cfg.json');
    writeFileSync(file, JSON.stringify({ ema: 1.5, lrDecay: 0 }));
    const fromFile = await runCli('train', ...tiny, '--config', file, '--out', join(root, 'bad5'));
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).toMatch(/lrDecay: expected a number in \(0, 1\], found 0/);
    expect(fromFile.stderr).toMatch(/ema: expected a number in \(0, 1\), found 1\.5/);
  });

  it("settings of another schedule, or a warm-up without an average, are refused naming both", async () => {
    const r = await runCli('train', ...tiny, '--lr-schedule', 'cosine', '--lr-decay', '0.99', '--ema-warmup', 'off', '--out', join(root, 'bad6'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/lrDecay: expected only with lrSchedule exponential, found lrSchedule cosine/);
    expect(r.stderr).toMatch(/emaWarmup: expected only with ema/);
    // Negative control: the same flags, consistent, train.
    const ok = await runCli('train', ...tiny, '--lr-decay', '0.99', '--ema', '0.99', '--ema-warmup', 'off', '--steps', '2', '--out', join(root, 'ok'));
    expect(ok.code, ok.stderr).toBe(0);
    const c = checkpointAt(join(root, 'ok'), 2);
    expect(c.optimizer).toMatchObject({ schedule: { kind: 'exponential', gamma: 0.99 }, ema: { decay: 0.99, warmup: false } });
    disposeCheckpoint(c);
  });
});

describe('a time-bounded cosine schedule', () => {
  it('with a steady clock, fixes its length from step times, records it in the checkpoint, and ends training exactly there', async () => {
    const cfg = resolveRunConfig({ preset: 'tiny', limit: 32, validation: 8, batchSize: 4, binarize: 'threshold', samples: 0, steps: 1_000_000, lrSchedule: 'cosine', ema: 0.99, checkpointEvery: 0 }, undefined, 'flags');
    if (E.isLeft(cfg)) throw cfg.left;
    const sets = await prepareData(cfg.right);
    if (E.isLeft(sets)) throw sets.left;
    const spec = resolveSpec('pixelcnn', 'tiny', cfg.right, sets.right.train.shape, 'flags');
    if (E.isLeft(spec)) throw new Error(spec.left.message);
    let now = 0;
    const lines: string[] = [];
    const out = join(root, 'clocked');
    // 1 ms per reading of the clock: every step reads it the same number of times, so steps are steady.
    const ctx = { outDir: out, resume: false, showProgress: false, stop: { requested: false }, timeLimitSeconds: 0.6, clock: () => ++now, log: (l: string) => lines.push(l) };
    const before = tf.memory().numTensors;
    const r = await runTraining(cfg.right, spec.right, sets.right, ctx);
    if (E.isLeft(r)) throw r.left;
    const latest = loadLatestCheckpoint(out);
    if (E.isLeft(latest) || O.isNone(latest.right)) throw new Error('no checkpoint');
    const { contents } = latest.right.value;
    const s = contents.optimizer.schedule!;
    if (s.kind !== 'cosine') throw new Error(`expected a cosine schedule, found ${s.kind}`);
    expect(s.fixedAt).toBeGreaterThanOrEqual(3);
    expect(s.totalSteps).toBeGreaterThan(s.fixedAt! * 5);
    expect(r.right.stoppedBy).toBe('time limit');
    expect(r.right.step).toBe(s.totalSteps); // the schedule reached its end, before the limit did
    expect(lines.join('\n')).toMatch(new RegExp(`schedule: ends at step ${s.totalSteps} \\(fixed at step ${s.fixedAt} from \\d+ measured steps`));
    // A resume keeps the fixed length (and its step), whatever the new run would measure.
    expect(resumedOptimizer(cfg.right, contents.optimizer).schedule).toEqual(s);
    // Negative control: without a time limit the schedule spans --steps and is not fixed.
    expect(resumedOptimizer(cfg.right, trainingOptimizer(cfg.right)).schedule).toEqual({ kind: 'cosine', floor: 0, totalSteps: 1_000_000 });
    disposeCheckpoint(contents);
    // Resumed at the end of its fixed schedule, the run trains no more.
    const again = await runTraining(cfg.right, spec.right, sets.right, { ...ctx, resume: true });
    if (E.isLeft(again)) throw again.left;
    expect([again.right.startStep, again.right.step, again.right.images]).toEqual([s.totalSteps, s.totalSteps, 0]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('on the real clock, ends by the time limit with its length fixed and recorded', async () => {
    const out = join(root, 'timed');
    const r = await run(
      { flags: { preset: 'tiny', limit: 32, validation: 8, batchSize: 4, binarize: 'threshold', samples: 0, steps: 1_000_000, lrSchedule: 'linear', lrFloor: 0.05 }, out, workers: 1, backend: 'wasm', timeLimitSeconds: 2 },
      { log: () => {}, interrupt: { requested: false } },
    )();
    if (E.isLeft(r)) throw new Error(r.left.message);
    const training = r.right.report.training!;
    expect(training.stoppedBy).toBe('time limit');
    const c = loadLatestCheckpoint(out);
    if (E.isLeft(c) || O.isNone(c.right)) throw new Error('no checkpoint');
    const s = c.right.value.contents.optimizer.schedule!;
    expect(s).toMatchObject({ kind: 'linear', floor: 0.05, fixedAt: expect.any(Number) });
    expect(training.step).toBeLessThanOrEqual((s as { totalSteps: number }).totalSteps);
    disposeCheckpoint(c.right.value.contents);
  });

  it('reconcileSlots: an average asked for on resume starts at the current weights; one no longer asked for is freed', () => {
    const before = tf.memory().numTensors;
    const params = { w: tf.tensor1d([1, 2]) };
    const plain = defaultOptimizer('rmsprop');
    const withAvg = { ...plain, ema: { decay: 0.9, warmup: true } };
    const slots = { 'ms/w': tf.tensor1d([3, 4]) };
    const added = reconcileSlots(withAvg, params, slots);
    expect(added.added).toEqual(['ema/w']);
    expect(added.slots['ms/w']).toBe(slots['ms/w']);
    expect(Array.from(added.slots['ema/w']!.dataSync())).toEqual([1, 2]);
    const dropped = reconcileSlots(plain, params, added.slots);
    expect(dropped.dropped).toEqual(['ema/w']);
    tf.dispose([params.w, dropped.slots['ms/w']!]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
