// The CLI's class-conditional runs and likelihood flags, end to end in-process: a PNG folder with
// one subfolder per class trains with --conditional, its checkpoint records the class names, and
// `sample --class` takes an index or a name; every misuse is a usage error (exit 2) that writes nothing.

import * as E from 'fp-ts/lib/Either.js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeCheckpoint, loadLatestCheckpoint } from '../src/checkpoint/checkpoint.js';
import { runCli } from '../test/cliInProcess.js';

const root = mkdtempSync(join(tmpdir(), 'pixelstreams-cli-cond-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = runCli;

/** A 6×6 grey PNG, all `value`. */
const png = (value: number): Buffer => {
  const p = new PNG({ width: 6, height: 6, colorType: 0, inputColorType: 0, bitDepth: 8 });
  p.data = Buffer.alloc(6 * 6 * 4, 0);
  for (let k = 0; k < 36; k++) p.data.fill(value, 4 * k, 4 * k + 3), (p.data[4 * k + 3] = 255);
  return PNG.sync.write(p, { colorType: 0, inputColorType: 6 });
};

const data = join(root, 'shapes');
const flat = join(root, 'flat');
const runDir = join(root, 'run');
const common = ['--preset', 'tiny', '--steps', '3', '--batch-size', '4', '--validation', '4', '--samples', '2', '--workers', '1', '--binarize', 'threshold', '--no-progress'];

beforeAll(() => {
  for (const [cls, value] of [['dark', 10], ['light', 240]] as const) {
    mkdirSync(join(data, cls), { recursive: true });
    for (let n = 0; n < 6; n++) writeFileSync(join(data, cls, `img${n}.png`), png(value));
  }
  mkdirSync(flat, { recursive: true });
  for (let n = 0; n < 6; n++) writeFileSync(join(flat, `img${n}.png`), png(n * 40));
});

describe('class-conditional runs from the command line', () => {
  it('train --conditional on class subfolders: the spec has 2 classes and the checkpoint their names', async () => {
    const r = await run('train', '--data', `png:${data}`, ...common, '--conditional', '--out', runDir);
    expect(r.code, r.stderr).toBe(0);
    const latest = loadLatestCheckpoint(runDir);
    if (E.isLeft(latest) || latest.right._tag === 'None') throw new Error('no checkpoint');
    const { contents } = latest.right.value;
    expect(contents.spec.classes).toBe(2);
    expect((contents.run as { classNames?: string[] }).classNames).toEqual(['dark', 'light']);
    disposeCheckpoint(contents);
  });

  it('sample --class takes an index or a name; a missing or unknown class is a usage error that writes nothing', async () => {
    const byName = await run('sample', '--run', runDir, '--count', '2', '--class', 'light', '--out', join(root, 'light.png'));
    expect(byName.code, byName.stderr).toBe(0);
    const byIndex = await run('sample', '--run', runDir, '--count', '2', '--class', '0', '--out', join(root, 'dark.png'));
    expect(byIndex.code, byIndex.stderr).toBe(0);
    const none = await run('sample', '--run', runDir, '--count', '2', '--out', join(root, 'none.png'));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--class: expected a class in 0\.\.1 \(0 = dark, 1 = light\) .* is class-conditional\), found none/);
    const wrong = await run('sample', '--run', runDir, '--count', '2', '--class', '7', '--out', join(root, 'wrong.png'));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--class: expected a class in 0\.\.1 .*found '7'/);
    expect(existsSync(join(root, 'none.png')) || existsSync(join(root, 'wrong.png'))).toBe(false);
  });

  it('--conditional on data without labels, --class for an unconditional run, stray --mixture-components: usage errors', async () => {
    const noLabels = await run('train', '--data', `png:${flat}`, ...common, '--conditional', '--out', join(root, 'r2'));
    expect(noLabels.code).toBe(2);
    expect(noLabels.stderr).toMatch(/--conditional: the data 'png:.*flat' has no labels/);
    expect(existsSync(join(root, 'r2'))).toBe(false);

    const plain = join(root, 'plain');
    expect((await run('train', '--data', `png:${flat}`, ...common, '--out', plain)).code).toBe(0);
    const cls = await run('sample', '--run', plain, '--count', '1', '--class', '0', '--out', join(root, 'p.png'));
    expect(cls.code).toBe(2);
    expect(cls.stderr).toMatch(/--class: expected none \(.* is not class-conditional\), found '0'/);

    const stray = await run('train', '--data', `png:${flat}`, ...common, '--mixture-components', '3', '--out', join(root, 'r3'));
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/--mixture-components: expected only with --likelihood logistic-mixture/);
    const unknown = await run('train', '--data', `png:${flat}`, ...common, '--likelihood', 'gaussian', '--out', join(root, 'r4'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--likelihood: expected softmax \| categorical \| bernoulli.*found 'gaussian'/);
  });

  it('--likelihood softmax trains a categorical head on binarized data (the default there is Bernoulli)', async () => {
    const out = join(root, 'softmax');
    const r = await run('train', '--data', `png:${flat}`, ...common, '--likelihood', 'softmax', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.spec.likelihood).toEqual({ kind: 'categorical' });
  });
});
