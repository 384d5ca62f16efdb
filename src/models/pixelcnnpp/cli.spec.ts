// `--model pixelcnn++` end to end in-process: the tiny preset trains 2 steps with its size flags
// (dropout on, so the training path draws masks) and the paper's Adam, decay and weight average on 8×8 colour PNGs, the checkpoint holds the spec
// the flags asked for, and `sample` draws images from it; a size flag a family does not have, and a
// bad value, are refused naming the field.

import * as E from 'fp-ts/lib/Either.js';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeCheckpoint, loadCheckpoint, loadLatestCheckpoint } from '../../checkpoint/checkpoint.js';
import { runCli } from '../../../test/cliInProcess.js';

const root = mkdtempSync(join(tmpdir(), 'pixelstreams-pcnnpp-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An 8×8 RGB PNG of a seeded pattern. */
const png = (seed: number): Buffer => {
  const p = new PNG({ width: 8, height: 8, colorType: 2, inputColorType: 6, bitDepth: 8 });
  p.data = Buffer.alloc(8 * 8 * 4, 255);
  for (let k = 0; k < 64; k++) for (let c = 0; c < 3; c++) p.data[4 * k + c] = (seed * 37 + k * 11 + c * 70) % 256;
  return PNG.sync.write(p, { colorType: 2, inputColorType: 6 });
};

const data = join(root, 'images');
const runDir = join(root, 'run');

beforeAll(() => {
  mkdirSync(data, { recursive: true });
  for (let n = 0; n < 12; n++) writeFileSync(join(data, `img${n}.png`), png(n));
});

describe('--model pixelcnn++', () => {
  it('trains 2 steps of tiny as the paper trains (Adam, --lr-decay, --ema) with --nr-resnet, --nr-filters, --dropout and --mixture-components, then samples the average', async () => {
    const r = await runCli(
      'train', '--model', 'pixelcnn++', '--preset', 'tiny', '--data', `png:${data}`, '--steps', '2', '--batch-size', '4', '--validation', '4',
      '--samples', '2', '--workers', '1', '--no-progress', '--nr-resnet', '1', '--nr-filters', '16', '--dropout', '0.5',
      '--likelihood', 'logistic-mixture', '--mixture-components', '3', '--optimizer', 'adam', '--lr-decay', '0.999995', '--ema', '0.9995', '--out', runDir,
    );
    expect(r.code, r.stderr).toBe(0);
    const latest = loadLatestCheckpoint(runDir);
    if (E.isLeft(latest) || latest.right._tag === 'None') throw new Error('no checkpoint');
    const { contents } = latest.right.value;
    expect(contents.spec).toMatchObject({ family: 'pixelcnn++', height: 8, width: 8, channels: 3, nrResnet: 1, nrFilters: 16, dropout: 0.5, likelihood: { kind: 'logistic-mixture', components: 3 } });
    disposeCheckpoint(contents);
    const out = join(root, 'samples.png');
    const s = await runCli('sample', '--run', runDir, '--count', '2', '--weights', 'average', '--out', out);
    expect(s.code, s.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
  }, 300_000);

  it('with dropout, a run resumed from its checkpoint ends with bitwise the weights of one uninterrupted run', async () => {
    const common = ['train', '--model', 'pixelcnn++', '--preset', 'tiny', '--data', `png:${data}`, '--batch-size', '4', '--validation', '4', '--samples', '0', '--workers', '1', '--no-progress', '--dropout', '0.5', '--optimizer', 'adam'];
    const [straight, resumed] = [join(root, 'straight'), join(root, 'resumed')];
    const s0 = await runCli(...common, '--steps', '4', '--out', straight);
    expect(s0.code, s0.stderr).toBe(0);
    expect((await runCli(...common, '--steps', '2', '--out', resumed)).code).toBe(0);
    // a resume takes the stored spec and optimizer (so neither --model/--preset nor the size flags)
    const r = await runCli('train', '--data', `png:${data}`, '--batch-size', '4', '--samples', '0', '--workers', '1', '--no-progress', '--steps', '4', '--out', resumed, '--resume');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/resuming from .*\(step 2\)/);
    const a = loadCheckpoint(join(straight, 'checkpoints', 'step-00000004'));
    const b = loadCheckpoint(join(resumed, 'checkpoints', 'step-00000004'));
    if (E.isLeft(a) || E.isLeft(b)) throw new Error('checkpoint did not load');
    for (const [name, t] of Object.entries(a.right.params)) expect(Array.from(b.right.params[name]!.dataSync()), name).toEqual(Array.from(t.dataSync()));
    disposeCheckpoint(a.right);
    disposeCheckpoint(b.right);
  }, 300_000);

  it('refuses --nr-resnet for a family without it, and a dropout of 1, naming them', async () => {
    const other = await runCli('train', '--model', 'pixelcnn', '--preset', 'tiny', '--data', `png:${data}`, '--steps', '1', '--nr-resnet', '2', '--no-progress', '--workers', '1', '--out', join(root, 'x'));
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/--nr-resnet: expected only with --model pixelcnn\+\+, found --model pixelcnn/);
    const bare = await runCli('train', '--preset', 'tiny', '--data', `png:${data}`, '--steps', '1', '--nr-filters', '8', '--dropout', '0.1', '--no-progress', '--out', join(root, 'x2'));
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/--nr-filters, --dropout: expected only with --model pixelcnn\+\+, found no --model \(the default is pixelcnn\)/);
    const drop = await runCli('train', '--model', 'pixelcnn++', '--preset', 'tiny', '--data', `png:${data}`, '--dropout', '1', '--out', join(root, 'y'));
    expect(drop.code).toBe(2);
    expect(drop.stderr).toMatch(/--dropout: expected a number in 0\.\.0\.999999, found '1'/);
  }, 120_000);
});
