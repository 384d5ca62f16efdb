// The CLI end to end, in-process (main(argv) returns the exit code): a tiny run trains, checkpoints,
// evaluates, samples and reports; resume continues exactly; eval and sample read a run; bad input
// fails with a clear message, exit 1, and leaves the output folder as it was.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { loadCheckpoint, disposeCheckpoint } from '../src/checkpoint/checkpoint.js';
import { runCli } from '../test/cliInProcess.js';

const root = mkdtempSync(join(tmpdir(), 'pixelstreams-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = runCli;

/** Every file under dir with its hash: to prove a failed command left the folder as it was. */
const snapshot = (dir: string): Record<string, string> => {
  if (!existsSync(dir)) return {};
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
};

const tiny = ['--data', 'mnist-embedded', '--preset', 'tiny', '--limit', '48', '--validation', '24', '--batch-size', '8', '--binarize', 'stochastic', '--no-progress'];

describe('pixelstreams CLI', () => {
  const runDir = join(root, 'run');
  let trained: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    trained = await run('train', ...tiny, '--steps', '6', '--checkpoint-every', '3', '--samples', '4', '--out', runDir);
  });

  it('train: checkpoints, evaluates held-out images, samples a PNG and writes a report', () => {
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stderr).toMatch(/backend: wasm/);
    expect(readdirSync(join(runDir, 'checkpoints')).sort()).toEqual(['step-00000003', 'step-00000006']);
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
    expect(report.backend.name).toBe('wasm');
    expect(report.workers).toBe(availableParallelism()); // one worker thread per core by default
    expect(trained.stderr).toMatch(availableParallelism() > 1 ? /gradients: \d+ workers \(wasm\)/ : /gradients: in-process/);
    expect(report.training.step).toBe(6);
    expect(report.evaluation.images).toBe(24);
    expect(report.evaluation.bitsPerDim).toBeGreaterThan(0);
    expect(report.evaluation.bitsPerDim).toBeLessThan(1.5);
    const png = PNG.sync.read(readFileSync(join(runDir, 'samples.png')));
    expect(png.width).toBeGreaterThan(28 * 2);
  });

  it('train --resume continues to the same weights as one uninterrupted run', async () => {
    const straight = join(root, 'straight');
    expect((await run('train', ...tiny, '--steps', '9', '--samples', '0', '--out', straight)).code).toBe(0);
    const resumed = await run('train', ...tiny, '--steps', '9', '--samples', '0', '--out', runDir, '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming from .*step-00000006 \(step 6\)/);
    const a = loadCheckpoint(join(straight, 'checkpoints', 'step-00000009'));
    const b = loadCheckpoint(join(runDir, 'checkpoints', 'step-00000009'));
    if (E.isLeft(a) || E.isLeft(b)) throw new Error('checkpoint did not load');
    for (const [name, t] of Object.entries(a.right.params))
      expect(Array.from(b.right.params[name]!.dataSync()), name).toEqual(Array.from(t.dataSync()));
    disposeCheckpoint(a.right);
    disposeCheckpoint(b.right);
  });

  it('train --workers 1 trains in-process, to the loss and weights of --workers 2 within 1e-4', async () => {
    const [inProcess, workers] = [join(root, 'in-process'), join(root, 'workers')];
    const r = await run('train', ...tiny, '--steps', '6', '--samples', '0', '--out', inProcess, '--workers', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/gradients: in-process/);
    expect((await run('train', ...tiny, '--steps', '6', '--samples', '0', '--out', workers, '--workers', '2')).code).toBe(0);
    const [one, many] = [inProcess, workers].map((d) => JSON.parse(readFileSync(join(d, 'report.json'), 'utf8')));
    expect([one.workers, many.workers]).toEqual([1, 2]);
    expect(Math.abs(one.training.lastLoss - many.training.lastLoss)).toBeLessThan(1e-4);
    const a = loadCheckpoint(join(inProcess, 'checkpoints', 'step-00000006'));
    const b = loadCheckpoint(join(workers, 'checkpoints', 'step-00000006'));
    if (E.isLeft(a) || E.isLeft(b)) throw new Error('checkpoint did not load');
    for (const [name, t] of Object.entries(a.right.params)) {
      const other = b.right.params[name]!.dataSync();
      t.dataSync().forEach((x, i) => expect(Math.abs(x - other[i]!), `${name}[${i}]`).toBeLessThan(1e-4));
    }
    disposeCheckpoint(a.right);
    disposeCheckpoint(b.right);
  });

  it('train --resume with settings that contradict the run is refused, naming them', async () => {
    const before = snapshot(runDir);
    const r = await run('train', ...tiny, '--steps', '12', '--out', runDir, '--resume', '--seed', '5', '--preset', 'small');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot resume with different settings/);
    expect(r.stderr).toMatch(/--seed: the run was trained with 1, found 5/);
    expect(r.stderr).toMatch(/--model\/--preset: the run's model is .*found pixelcnn\/small/);
    expect(snapshot(runDir)).toEqual(before);
  });

  it('train --resume of a run already at its steps trains nothing, evaluates and reports', async () => {
    const r = await run('train', ...tiny, '--steps', '9', '--samples', '0', '--out', runDir, '--resume');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
    expect([report.training.startStep, report.training.step, report.training.images]).toEqual([9, 9, 0]);
    expect(report.evaluation.images).toBe(24);
  });

  it('eval --run reports NLL and bits/dim as JSON', async () => {
    const r = await run('eval', '--run', runDir, '--limit', '16', '--no-progress');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.images).toBe(16);
    expect(report.bitsPerDim).toBeGreaterThan(0);
  });

  it('sample writes a grid; --complete keeps the known rows and writes originals beside completions', async () => {
    const file = join(root, 's.png');
    const r = await run('sample', '--run', runDir, '--count', '2', '--out', file);
    expect(r.code, r.stderr).toBe(0);
    const png = PNG.sync.read(readFileSync(file));
    expect([png.width, png.height]).toEqual([28 * 4 * 2 + 1, 28 * 4]); // scaled ×4, 1-px separator
    // complete: a single 28×28 image, keep 14 rows
    const img = new PNG({ width: 28, height: 28, colorType: 0 });
    for (let i = 0; i < 28 * 28; i++) {
      const v = i % 28 > 10 && i % 28 < 18 ? 255 : 0;
      img.data[i * 4] = img.data[i * 4 + 1] = img.data[i * 4 + 2] = v;
      img.data[i * 4 + 3] = 255;
    }
    const input = join(root, 'digit.png');
    writeFileSync(input, PNG.sync.write(img, { colorType: 0 }));
    const out = join(root, 'completed.png');
    const c = await run('sample', '--run', runDir, '--complete', input, '--keep-rows', '14', '--out', out);
    expect(c.code, c.stderr).toBe(0);
    const grid = PNG.sync.read(readFileSync(out));
    expect(grid.width).toBe(28 * 4 * 2 + 1);
    // the top half of the completion equals the top half of the original
    for (let y = 0; y < 14 * 4; y++)
      for (let x = 0; x < 28 * 4; x++)
        expect(grid.data[(y * grid.width + x + 28 * 4 + 1) * 4]).toBe(grid.data[(y * grid.width + x) * 4]);
  });

  it.each([
    [['--data', 'idx:/nonexistent/images.gz'], /\/nonexistent\/images\.gz/],
    [['--data', 'floppy:disk'], /data: expected mnist \| idx:.*found 'floppy:disk'/],
    [['--lr', 'fast'], /--lr: expected a number, found 'fast'/],
    [['--binarize', 'maybe'], /--binarize/],
  ])('bad input %j fails with a clear error and exit code ≠ 0, writing nothing', async (args, message) => {
    const out = join(root, `bad-${Math.random().toString(36).slice(2)}`);
    const r = await run('train', ...tiny, '--steps', '2', '--out', out, ...(args as string[]));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message as RegExp);
    expect(existsSync(out)).toBe(false);
  });

  it('a malformed config file is named with the field, expected and found', async () => {
    const cfg = join(root, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ steps: -2, keep: 'three', model: { hidden: 0 } }));
    const before = snapshot(runDir);
    const r = await run('train', ...tiny, '--config', cfg, '--out', join(root, 'never'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.json: .*steps: expected integer ≥ 1, found -2/);
    expect(r.stderr).toMatch(/keep: expected integer ≥ 1, found "three"/);
    expect(existsSync(join(root, 'never'))).toBe(false);
    writeFileSync(cfg, JSON.stringify({ model: { hidden: 0 } }));
    const r2 = await run('train', ...tiny, '--config', cfg, '--out', join(root, 'never'));
    expect(r2.stderr).toMatch(/model: hidden: expected integer in 1\.\.16384, found 0/);
    expect(snapshot(runDir)).toEqual(before);
  });

  it('refuses to train over an existing run without --resume, leaving it as it was', async () => {
    const before = snapshot(runDir);
    const r = await run('train', ...tiny, '--steps', '2', '--out', runDir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already holds checkpoints .*--resume/);
    expect(snapshot(runDir)).toEqual(before);
  });

  it('eval of data with another image shape than the model names both shapes', async () => {
    const dir = join(root, 'pngs');
    mkdirSync(dir);
    const img = new PNG({ width: 5, height: 5, colorType: 0 });
    img.data.fill(255);
    writeFileSync(join(dir, 'a.png'), PNG.sync.write(img, { colorType: 0 }));
    const r = await run('eval', '--run', runDir, '--data', `png:${dir}`, '--binarize', 'none', '--no-progress');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/expected 28×28×1 images with 2 levels .*found 5×5×1 with 256 levels/);
  });
});

describe('pixelstreams CLI, non-finite training', () => {
  it('stops with an error naming the step, exit 1, the last good checkpoint intact and loadable', async () => {
    const dir = join(root, 'nan');
    expect((await run('train', ...tiny, '--steps', '2', '--samples', '0', '--out', dir)).code).toBe(0);
    const before = snapshot(dir);
    // an absurd learning rate overflows the weights at the first resumed step
    const r = await run('train', ...tiny, '--steps', '6', '--samples', '0', '--out', dir, '--resume', '--lr', '1e38', '--checkpoint-every', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/step 3: the updated parameters are not finite/);
    expect(snapshot(dir)).toEqual(before);
    const last = loadCheckpoint(join(dir, 'checkpoints', 'step-00000002'));
    expect(E.isRight(last)).toBe(true);
    if (E.isRight(last)) disposeCheckpoint(last.right);
  });

  it('with --on-nan skip, skips such batches, counts them in the report and finishes', async () => {
    const dir = join(root, 'nan-skip');
    const r = await run('train', ...tiny, '--steps', '3', '--samples', '0', '--out', dir, '--lr', '1e38', '--on-nan', 'skip', '--time-limit', '20');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(report.training.skippedBatches).toBeGreaterThan(0);
  });
});
