// bench/runsTable.ts: the README's hour-run table from run folders' reports.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRow, runsTable } from '../bench/runsTable.js';

const root = mkdtempSync(join(tmpdir(), 'pixelstreams-runs-table-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const report = {
  config: { preset: 'reference', batchSize: 32 },
  spec: { family: 'pixelcnn', channels: 1 },
  workers: 2,
  data: { train: { images: 60000 }, heldOut: { name: 'mnist/test-binarized (stochastic, seed 0)', images: 10000 } },
  training: { step: 1500, images: 48000, seconds: 600, cpuSeconds: 1170 },
  evaluation: { meanNll: 88.123, bitsPerDim: 0.1621, images: 10000, complete: true },
};
const folder = (name: string, r: unknown) => {
  const d = join(root, name);
  mkdirSync(d);
  writeFileSync(join(d, 'report.json'), JSON.stringify(r));
  return d;
};

describe('runsTable', () => {
  it("reads steps, images, epochs, wall and CPU time and the figure beside the family's published one", () => {
    const row = runRow(folder('a', report));
    expect(row).toMatchObject({ model: 'pixelcnn/reference', workers: 2, steps: 1500, batchSize: 32, images: 48000, epochs: 0.8, trainCpuSeconds: 1170, nats: 88.123, paper: '81.3 nats' });
    const md = runsTable([row]);
    expect(md).toContain('| pixelcnn/reference | 2 | 1,500 × 32 | 48,000 (0.8) | 10.0 min, 19.5 min | **88.12 nats**');
  });

  it('a report without the training figures is an error naming the file and the field', () => {
    const { training: _t, ...partial } = report;
    expect(() => runRow(folder('b', partial))).toThrow(/b\/report\.json: training\.images: expected it/);
  });
});
