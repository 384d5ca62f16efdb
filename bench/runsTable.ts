// The quality table of finished training runs, from their run folders: what each run trained (family,
// preset, workers, steps × batch, images and epochs of its data), what it cost (wall and CPU time of
// training, from report.json), and its held-out figure beside the paper's for that family.
//
//   npx tsx bench/runsTable.ts RUN_DIR [RUN_DIR…] [--json]
//
// It reads only: report.json of each folder (an error names the folder and the field it lacks).
// The README's hour-on-2-cores table is this script's output for the runs its commands made.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { families } from '../src/models/registry.js';

export interface RunRow {
  readonly run: string;
  readonly model: string;
  readonly workers: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly images: number;
  readonly epochs: number;
  readonly trainWallSeconds: number;
  readonly trainCpuSeconds: number;
  readonly heldOut: string;
  readonly heldOutImages: number;
  readonly nats: number;
  readonly bitsPerDim: number;
  readonly paper: string;
}

interface Report {
  config?: { preset?: string; batchSize?: number };
  spec?: { family?: string; channels?: number };
  workers?: number;
  data?: { train?: { images?: number }; heldOut?: { name?: string; images?: number } };
  training?: { step?: number; images?: number; seconds?: number; cpuSeconds?: number };
  evaluation?: { meanNll?: number; bitsPerDim?: number; images?: number; complete?: boolean };
}

const need = <T>(v: T | undefined, dir: string, field: string): T => {
  if (v === undefined) throw new Error(`${join(dir, 'report.json')}: ${field}: expected it in a finished run's report, found nothing`);
  return v;
};

/** One row from a run folder's report. */
export const runRow = (dir: string): RunRow => {
  const r = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  const family = need(r.spec?.family, dir, 'spec.family');
  const published = families().find((f) => f.family === family)?.published;
  const colour = (r.spec?.channels ?? 1) === 3;
  const paperFigure = colour ? published?.cifar10BitsPerDim : published?.binarizedMnistNats;
  const images = need(r.training?.images, dir, 'training.images');
  return {
    run: dir,
    model: `${family}/${r.config?.preset ?? 'small'}`,
    workers: r.workers ?? 1,
    steps: need(r.training?.step, dir, 'training.step'),
    batchSize: need(r.config?.batchSize, dir, 'config.batchSize'),
    images,
    epochs: images / need(r.data?.train?.images, dir, 'data.train.images'),
    trainWallSeconds: need(r.training?.seconds, dir, 'training.seconds'),
    trainCpuSeconds: need(r.training?.cpuSeconds, dir, 'training.cpuSeconds'),
    heldOut: need(r.data?.heldOut?.name, dir, 'data.heldOut.name'),
    heldOutImages: need(r.evaluation?.images, dir, 'evaluation.images'),
    nats: need(r.evaluation?.meanNll, dir, 'evaluation.meanNll'),
    bitsPerDim: need(r.evaluation?.bitsPerDim, dir, 'evaluation.bitsPerDim'),
    paper: paperFigure === undefined ? '—' : colour ? `${paperFigure} bits/dim` : `${paperFigure} nats`,
  };
};

const minutes = (s: number) => `${(s / 60).toFixed(1)} min`;

/** The rows as a Markdown table. */
export const runsTable = (rows: readonly RunRow[]): string =>
  [
    '| model | workers | steps × batch | images (epochs) | training: wall, CPU | held-out NLL | paper |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.model} | ${r.workers} | ${r.steps.toLocaleString('en-US')} × ${r.batchSize} | ${r.images.toLocaleString('en-US')} (${r.epochs.toFixed(1)}) | ${minutes(r.trainWallSeconds)}, ${minutes(r.trainCpuSeconds)} | **${r.nats.toFixed(2)} nats** (${r.bitsPerDim.toFixed(4)} bits/dim, ${r.heldOutImages.toLocaleString('en-US')} images of ${r.heldOut}) | ${r.paper} |`,
    ),
  ].join('\n');

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const dirs = args.filter((a) => a !== '--json');
  if (dirs.length === 0) {
    process.stderr.write('usage: npx tsx bench/runsTable.ts RUN_DIR [RUN_DIR…] [--json]\n');
    process.exit(2);
  }
  try {
    const rows = dirs.map(runRow);
    process.stdout.write(args.includes('--json') ? `${JSON.stringify(rows, null, 2)}\n` : `${runsTable(rows)}\n`);
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
