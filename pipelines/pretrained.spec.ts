// The pretrained models shipped in the package: every registered one is there, within the size
// budget, loads, and re-measures the figure it claims on its held-out set (the first `check.images`
// of it, whose figure the claim records beside the whole set's); the CLI lists them and takes
// --pretrained NAME in eval, sample and export.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeCheckpoint, loadCheckpoint, modelWeights } from '../src/checkpoint/checkpoint.js';
import { bindModel } from '../src/models/registry.js';
import { tf } from '../src/tf.js';
import { runCli } from '../test/cliInProcess.js';
import { decodeRunConfig } from './config.js';
import { binarization, readSource } from './data.js';
import { evaluateSet } from './evaluate.js';
import { idxImages } from '../test/fixtures/data.js';
import {
  buildPretrained,
  budgetErrors,
  checkClaim,
  CLAIM_FILE,
  folderBytes,
  materializeRun,
  PRETRAINED_BUDGET,
  PRETRAINED_FILES,
  OPTIONAL_PRETRAINED_FILES,
  thinMetrics,
  PRETRAINED_RECIPES,
  pretrainedRoot,
  readClaim,
  removeMaterialized,
  resolvePretrained,
  sideBySide,
} from './pretrained.js';
import { decodePng } from '../src/data/png.js';

const right = <A>(r: E.Either<Error, A>): A => {
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

const root = pretrainedRoot();
const tmp = mkdtempSync(join(tmpdir(), 'pixelstreams-pretrained-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The first n images of a model's held-out set, as its run evaluated them. */
const heldOutImages = async (name: string, n: number) => {
  const { claim, dir } = right(resolvePretrained(name));
  const contents = right(loadCheckpoint(dir));
  const cfg = right(decodeRunConfig(contents.run, dir));
  const set = right(binarization(cfg.binarize, cfg.seed).fixed(right(await readSource(claim.heldOut))));
  return { contents, claim, set: { ...set, records: set.records.slice(0, n) } };
};

describe('pretrained models in the package', () => {
  it('the registry and pretrained/ agree: every recipe is built, every folder is registered, each holds the shipped files', () => {
    const folders = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(folders).toEqual(PRETRAINED_RECIPES.map((r) => r.name).sort());
    expect(PRETRAINED_RECIPES.some((r) => r.unit === 'nats')).toBe(true); // a binarized model
    expect(PRETRAINED_RECIPES.some((r) => r.unit === 'bits/dim')).toBe(true); // an 8-bit one
    for (const r of PRETRAINED_RECIPES) {
      const files = readdirSync(join(root, r.name)).sort();
      expect(files).toEqual([...PRETRAINED_FILES].filter((f) => files.includes(f) || !OPTIONAL_PRETRAINED_FILES.includes(f)).sort());
      const claim = right(readClaim(r.name));
      // The claim is the recipe's: the exact train arguments, the unit, the shipped bytes.
      expect(claim.train).toEqual(r.train);
      expect(claim.command).toBe(`pixelstreams train ${r.train.join(' ')}`);
      expect(claim.unit).toBe(r.unit);
      expect(claim.bytes).toBe(folderBytes(join(root, r.name)));
      expect(claim.check.images).toBe(r.checkImages);
      // The report shipped beside it is the run's, with the figure claimed on the whole held-out set.
      const report = JSON.parse(readFileSync(join(root, r.name, 'report.json'), 'utf8'));
      expect(report.evaluation.meanNll).toBe(claim.figure.meanNll);
      expect(report.evaluation.images).toBe(claim.figure.images);
      expect(report.evaluation.complete).toBe(true);
    }
  });

  it(`each model is within the budget (≤ ${PRETRAINED_BUDGET.perModelBytes / 2 ** 20} MiB, all ≤ ${PRETRAINED_BUDGET.totalBytes / 2 ** 20} MiB)`, () => {
    const sizes = Object.fromEntries(PRETRAINED_RECIPES.map((r) => [r.name, folderBytes(join(root, r.name))]));
    expect(budgetErrors(sizes)).toEqual([]);
    // negative controls: one model too large, and too many together
    expect(budgetErrors({ a: PRETRAINED_BUDGET.perModelBytes + 1 })).toEqual([`pretrained/a: expected at most 2 MiB, found 2.00 MiB (${PRETRAINED_BUDGET.perModelBytes + 1} bytes)`]);
    const four = Object.fromEntries(['a', 'b', 'c', 'd'].map((n) => [n, PRETRAINED_BUDGET.perModelBytes]));
    expect(budgetErrors(four)).toEqual(['pretrained/: expected at most 6 MiB in all, found 8 MiB (8388608 bytes)']);
  });

  it('the whole figure is on the whole held-out set; for mnist the official test set (no training digit in it)', async () => {
    for (const r of PRETRAINED_RECIPES) {
      const claim = right(readClaim(r.name));
      expect(claim.figure.images).toBe(right(await readSource(claim.heldOut)).records.length);
      expect(claim.heldOut).not.toBe(claim.data);
      if (claim.data === 'mnist') expect(claim.heldOut).toBe(r.unit === 'nats' ? 'mnist:test-binarized' : 'mnist:test');
    }
    expect(PRETRAINED_RECIPES.some((r) => right(readClaim(r.name)).heldOut === 'mnist:test-binarized')).toBe(true);
  });

  it.each(PRETRAINED_RECIPES.map((r) => [r.name, r] as const))(
    '%s re-measures its claimed figure on its held-out images; the same check catches a perturbed model',
    async (name, recipe) => {
      const before = tf.memory().numTensors;
      const { contents, claim, set } = await heldOutImages(name, recipe.checkImages);
      try {
        expect(set.records.length).toBe(claim.check.images);
        const measured = await evaluateSet(bindModel(contents.spec, modelWeights(contents).params), set, { batchSize: 64 });
        const verdict = checkClaim(recipe.unit, measured, claim.check);
        console.log(`${name}: first ${measured.images} held-out images ${measured.meanNll.toFixed(3)} nats, ${measured.bitsPerDim.toFixed(5)} bits/dim; claimed ${claim.check.meanNll.toFixed(3)} / ${claim.check.bitsPerDim.toFixed(5)}`);
        expect(verdict.ok).toBe(true);
        // negative control: the weights with noise of 0.3 × each tensor's spread fail the same check
        const noisy = tf.tidy(() =>
          Object.fromEntries(
            Object.entries(modelWeights(contents).params).map(([k, x]) => {
              const sd = tf.moments(x).variance.sqrt();
              return [k, tf.keep(x.add(tf.randomNormal(x.shape, 0, 1, 'float32', 7).mul(sd).mul(0.3)))];
            }),
          ),
        );
        const worse = await evaluateSet(bindModel(contents.spec, noisy), set, { batchSize: 64 });
        tf.dispose(Object.values(noisy));
        console.log(`${name} with noise on its weights: first ${worse.images}: ${worse.meanNll.toFixed(3)} nats, ${worse.bitsPerDim.toFixed(5)} bits/dim`);
        expect(checkClaim(recipe.unit, worse, claim.check).ok).toBe(false);
      } finally {
        disposeCheckpoint(contents);
      }
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('checkClaim: within the unit tolerance passes, beyond it (or NaN) fails', () => {
    const c = { meanNll: 90, bitsPerDim: 0.16 };
    expect(checkClaim('nats', { meanNll: 90.49, bitsPerDim: 1 }, c).ok).toBe(true);
    expect(checkClaim('nats', { meanNll: 90.51, bitsPerDim: 0.16 }, c).ok).toBe(false);
    expect(checkClaim('bits/dim', { meanNll: 0, bitsPerDim: 0.169 }, c).ok).toBe(true);
    expect(checkClaim('bits/dim', { meanNll: 90, bitsPerDim: 0.171 }, c).ok).toBe(false);
    expect(checkClaim('nats', { meanNll: NaN, bitsPerDim: 0.16 }, c).ok).toBe(false);
  });

  it('a missing or broken claim is an error naming the file and how to build it', () => {
    const empty = mkdtempSync(join(tmp, 'root-'));
    expect(() => right(readClaim('mnist-binary-small', empty))).toThrow(
      `${join(empty, 'mnist-binary-small', CLAIM_FILE)}: expected the pretrained model's claim, found no such file (build it: npm run pretrain -- mnist-binary-small)`,
    );
    expect(() => right(resolvePretrained('mnist-huge'))).toThrow(`--pretrained: expected one of ${PRETRAINED_RECIPES.map((r) => r.name).join(', ')}, found 'mnist-huge'`);
  });
});

describe('npm run pretrain -- NAME (buildPretrained)', () => {
  it('trains the recipe, writes the folder with its claim, re-packages a finished run without training, refuses a run made otherwise', async () => {
    const dir = mkdtempSync(join(tmp, 'build-'));
    const test = join(dir, 'test.idx');
    writeFileSync(test, idxImages(12, 28, 28));
    const train = ['--data', 'mnist-embedded', '--limit', '16', '--test-data', `idx:${test}`, '--binarize', 'threshold', '--preset', 'tiny',
      '--steps', '2', '--batch-size', '4', '--workers', '1', '--samples', '0', '--no-progress', '--backend', 'wasm'];
    const recipe = { name: 'tiny-test', description: 'a test', train, unit: 'nats' as const, checkImages: 5 };
    const lines: string[] = [];
    const opts = { root: join(dir, 'pretrained'), runsDir: join(dir, 'runs'), recipes: [recipe], log: (l: string) => lines.push(l) };
    const claim = right(await buildPretrained('tiny-test', opts));
    expect(claim.heldOut).toBe(`idx:${test}`);
    expect(claim.figure.images).toBe(12);
    expect(claim.check.images).toBe(5);
    expect(claim.step).toBe(2);
    expect(claim.command).toBe(`pixelstreams train ${train.join(' ')}`);
    expect(right(readClaim('tiny-test', opts.root))).toEqual(claim);
    const folder = join(opts.root, 'tiny-test');
    expect(readdirSync(folder).sort()).toEqual(['loss.png', 'metrics.jsonl', 'model.json', 'pretrained.json', 'report.json', 'samples.png', 'weights.bin']);
    // the run's curve ships with it (2 steps: not thinned), so the dashboard of the model has one
    expect(readFileSync(join(folder, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(opts.runsDir, 'tiny-test', 'metrics.jsonl'), 'utf8'));
    expect(claim.bytes).toBe(folderBytes(folder));
    const report = JSON.parse(readFileSync(join(folder, 'report.json'), 'utf8'));
    expect(report.evaluation.meanNll).toBe(claim.figure.meanNll);
    // the shipped weights are the run's last checkpoint, byte for byte
    expect(readFileSync(join(folder, 'weights.bin'))).toEqual(readFileSync(join(opts.runsDir, 'tiny-test', 'checkpoints', 'step-00000002', 'weights.bin')));
    const grid = PNG.sync.read(readFileSync(join(folder, 'samples.png')));
    expect([grid.width, grid.height]).toEqual([8 * 56 + 7, 8 * 56 + 7]); // 64 samples, 8 × 8, scale 2
    // again: the run is finished, so it is packaged again without training
    lines.length = 0;
    expect(right(await buildPretrained('tiny-test', opts)).figure).toEqual(claim.figure);
    expect(lines.join('\n')).toMatch(/is finished .*packaging it/);
    expect(lines.join('\n')).not.toMatch(/pixelstreams train/);
    // an edited recipe does not resume or package a run made by other arguments
    const edited = { ...opts, recipes: [{ ...recipe, train: train.map((a) => (a === '2' ? '3' : a)) }] };
    const other = await buildPretrained('tiny-test', edited);
    expect(E.isLeft(other) ? other.left.message : 'built').toMatch(
      /tiny-test\.args\.json: expected the recipe's arguments \[.*"3".*\], found \[.*\] \(the run was made otherwise; remove .* to train it again\)$/,
    );
    const unknown = await buildPretrained('nope', opts);
    expect(E.isLeft(unknown) ? unknown.left.message : 'built').toBe("pretrain: expected one of tiny-test, found 'nope'");
  });
});

describe('thinMetrics', () => {
  const lines = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ step: i + 1 }));
  it('keeps at most maxLines lines, in order, the first and the last among them', () => {
    const thinned = thinMetrics(`${lines(1000).join('\n')}\n`, 100).trim().split('\n').map((l) => JSON.parse(l).step as number);
    expect(thinned.length).toBeLessThanOrEqual(100);
    expect(thinned.length).toBeGreaterThan(90);
    expect(thinned[0]).toBe(1);
    expect(thinned[thinned.length - 1]).toBe(1000);
    expect([...thinned].sort((a, b) => a - b)).toEqual(thinned);
  });
  it('leaves a short log as it is (negative control: nothing to thin), and an empty one empty', () => {
    const text = `${lines(5).join('\n')}\n`;
    expect(thinMetrics(text, 100)).toBe(text);
    expect(thinMetrics('', 100)).toBe('');
  });
});

describe('npm start: own samples beside the pretrained ones', () => {
  it('sideBySide puts the left picture at x = 0 and the right one after the gap, tops aligned, grey elsewhere', async () => {
    const left = { width: 2, height: 2, channels: 1, pixels: Uint8Array.from([0, 10, 20, 30]) };
    const rgb = { width: 3, height: 1, channels: 3, pixels: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]) };
    const png = right(decodePng(await sideBySide(left, rgb, 1), 'x'));
    expect([png.width, png.height, png.channels]).toEqual([6, 2, 3]);
    const at = (x: number, y: number) => Array.from(png.pixels.subarray((y * 6 + x) * 3, (y * 6 + x) * 3 + 3));
    expect(at(1, 1)).toEqual([30, 30, 30]); // grey left image, copied into every channel
    expect(at(2, 0)).toEqual([128, 128, 128]); // the gap
    expect(at(3, 0)).toEqual([1, 2, 3]);
    expect(at(5, 0)).toEqual([7, 8, 9]);
    expect(at(4, 1)).toEqual([128, 128, 128]); // below the shorter picture
    // negative control: the other order is another picture
    const swapped = right(decodePng(await sideBySide(rgb, left, 1), 'y'));
    expect(Array.from(swapped.pixels.subarray(0, 3))).toEqual([1, 2, 3]);
  });
});

describe('the CLI with pretrained models', () => {
  it('pixelstreams pretrained lists every model with its figure and the command that made it', async () => {
    const r = await runCli('pretrained');
    expect(r.code).toBe(0);
    for (const rec of PRETRAINED_RECIPES) {
      const claim = right(readClaim(rec.name));
      expect(r.stdout).toContain(`${rec.name}  ${rec.unit === 'nats' ? `${claim.figure.meanNll.toFixed(2)} nats` : `${claim.figure.bitsPerDim.toFixed(4)} bits/dim`} on ${claim.heldOut}`);
      expect(r.stdout).toContain(`made by: pixelstreams train ${rec.train.join(' ')}`);
    }
  });

  it('eval --pretrained evaluates on the model\'s held-out set by default', async () => {
    const r = await runCli('eval', '--pretrained', 'mnist-binary-small', '--limit', '40', '--no-progress');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.data).toMatch(/^mnist\/test-binarized/);
    expect(report.images).toBe(40);
    const { contents, set } = await heldOutImages('mnist-binary-small', 40);
    const direct = await evaluateSet(bindModel(contents.spec, modelWeights(contents).params), set, { batchSize: 64 });
    disposeCheckpoint(contents);
    expect(report.meanNll).toBeCloseTo(direct.meanNll, 4);
  });

  it('sample --pretrained writes a grid of the model\'s images', async () => {
    const out = join(tmp, 'eight.png');
    const r = await runCli('sample', '--pretrained', 'mnist-8bit-small', '--count', '2', '--out', out);
    expect(r.code).toBe(0);
    const png = PNG.sync.read(readFileSync(out));
    expect([png.width, png.height]).toEqual([2 * 28 * 4 + 1, 28 * 4]);
  });

  it('export --pretrained writes a site with the model; --pretrained with --run, or neither, is a usage error', async () => {
    const site = join(tmp, 'site');
    const r = await runCli('export', '--pretrained', 'mnist-binary-small', '--out', site);
    expect(r.code).toBe(0);
    expect(readFileSync(join(site, 'weights.bin'))).toEqual(readFileSync(join(root, 'mnist-binary-small', 'weights.bin')));
    expect(JSON.parse(readFileSync(join(site, 'info.json'), 'utf8')).report.evaluation.meanNll).toBe(right(readClaim('mnist-binary-small')).figure.meanNll);
    const both = await runCli('export', '--pretrained', 'mnist-binary-small', '--run', tmp, '--out', join(tmp, 'x'));
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('expected --run DIR or --pretrained NAME (one of them), found both');
    const neither = await runCli('serve');
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('expected --run DIR or --pretrained NAME (one of them), found neither');
    const twice = await runCli('eval', '--pretrained', 'mnist-binary-small', '--run', tmp);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('expected --checkpoint PATH, --run DIR or --pretrained NAME (one of them), found --run and --pretrained');
    const unknown = await runCli('sample', '--pretrained', 'nope', '--out', join(tmp, 'n.png'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`--pretrained: expected one of ${PRETRAINED_RECIPES.map((r) => r.name).join(', ')}, found 'nope'`);
  });

  it('materializeRun copies a model into a temporary run folder serve can read', () => {
    const dir = right(materializeRun('mnist-binary-small'));
    try {
      const ckpts = readdirSync(join(dir, 'checkpoints'));
      expect(ckpts).toHaveLength(1);
      const c = right(loadCheckpoint(join(dir, 'checkpoints', ckpts[0]!)));
      expect(c.step).toBe(right(readClaim('mnist-binary-small')).step);
      disposeCheckpoint(c);
      expect(existsSync(join(dir, 'report.json'))).toBe(true);
      expect(basename(dir)).toBe('mnist-binary-small'); // the dashboard's /runs/NAME/
    } finally {
      removeMaterialized(dir);
    }
    expect(existsSync(dirname(dir))).toBe(false);
  });
});
