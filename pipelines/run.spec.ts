// pipelines/run.ts as a library: the same pipeline the CLI and the bench run, errors as values in
// one form (RunError: usage or input), a stop hook for training that leaves the later phases alone,
// an interrupt that ends every phase.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf.js';
import { defaultRunConfig, run, type RunRequest } from './run.js';

const root = mkdtempSync(join(tmpdir(), 'pixelstreams-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const quiet = { log: () => {}, interrupt: { requested: false } };
const tiny = (out: string, extra: Partial<RunRequest['flags']> = {}): RunRequest => ({
  flags: { data: 'mnist-embedded', preset: 'tiny', limit: 16, validation: 8, batchSize: 4, binarize: 'threshold', samples: 2, ...extra },
  out,
  workers: 1,
  backend: 'wasm',
});

describe('run', () => {
  it('trains, evaluates, samples and reports; stopTraining ends training only', async () => {
    let steps = 0;
    const before = tf.memory().numTensors;
    const r = await run(tiny(join(root, 'a'), { steps: 50 }), { ...quiet, stopTraining: () => ++steps >= 3 })();
    if (E.isLeft(r)) throw new Error(r.left.message);
    const { report } = r.right;
    expect(report.training!.step).toBe(3);
    expect(report.evaluation!.images).toBe(8);
    expect(report.evaluation!.complete).toBe(true);
    expect(report.sampling!.count).toBe(2);
    expect(report.interrupted).toBeUndefined();
    expect(readdirSync(join(root, 'a')).sort()).toEqual(['checkpoints', 'loss.png', 'metrics.jsonl', 'pixelstreams-run.json', 'report.json', 'samples.png']);
    expect(report.config.steps).toBe(50);
    expect(Object.keys(defaultRunConfig).every((k) => k in report.config)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an interrupt before training writes nothing and is still a Right saying so', async () => {
    const out = join(root, 'b');
    const r = await run(tiny(out), { log: () => {}, interrupt: { requested: true, signal: 'SIGINT' } })();
    expect(E.isRight(r) && r.right.report.interrupted).toEqual({ signal: 'SIGINT', phase: 'preflight', kept: 'nothing (no file was written)' });
    expect(() => readdirSync(out)).toThrow();
  });

  it('errors are values of one form: usage for the command line, input for files and values', async () => {
    const usage = await run({ ...tiny(join(root, 'c')), family: 'no-such-family' }, quiet)();
    expect(E.isLeft(usage) && usage.left).toMatchObject({ kind: 'usage', message: expect.stringMatching(/--model: expected one of .*pixelcnn/) });
    const input = await run(tiny(join(root, 'c'), { data: 'idx:/nonexistent' }), quiet)();
    expect(E.isLeft(input) && input.left).toMatchObject({ kind: 'input', message: expect.stringMatching(/\/nonexistent/) });
  });
});
