// The machine's own limit for data-parallel training, measured in the same run as the worker engine:
// the reference PixelCNN's gradient computation in N threads at once (batch B/N each) with no
// coordination at all — no parameters sent, no gradients returned or averaged, no update — against
// one thread at batch B; phases alternate, and the ratio of images/s is taken per round (median).
// A worker engine cannot beat this ratio: what is left between the two is the engine's own cost.
import { Worker } from 'node:worker_threads';
import type { ConvImpl } from '../src/layers/maskedConv.js';

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface ThreadCeiling {
  readonly threads: number;
  readonly batch: number;
  readonly rounds: number;
  readonly stepsPerPhase: number;
  /** Per round: images/s of N threads ÷ images/s of one. */
  readonly ratios: readonly number[];
  readonly medianRatio: number;
}

const start = (backend: string, convImpl: ConvImpl): Promise<Worker> => {
  const worker = new Worker(new URL('../src/train/worker-boot.mjs', import.meta.url), {
    workerData: { entry: new URL('./ceiling-worker.ts', import.meta.url).href },
  });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', () => resolve(worker));
    worker.postMessage({ backend, convImpl });
  });
};

const run = (w: Worker, count: number, steps: number) =>
  new Promise<number[]>((resolve, reject) => {
    w.once('error', reject);
    w.once('message', resolve);
    w.postMessage({ count, steps });
  });

export const threadCeiling = async (options: { threads: number; batch: number; backend: string; convImpl: ConvImpl; rounds?: number; steps?: number }): Promise<ThreadCeiling> => {
  const { threads, batch, backend, convImpl } = options;
  const rounds = options.rounds ?? 3;
  const steps = options.steps ?? 3;
  const workers = await Promise.all(Array.from({ length: threads }, () => start(backend, convImpl)));
  try {
    const shard = Math.ceil(batch / threads);
    await Promise.all(workers.map((w) => run(w, shard, 1))); // warm-up, every thread
    await run(workers[0]!, batch, 1);
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let t0 = performance.now();
      await run(workers[0]!, batch, steps);
      const one = (steps * batch) / (performance.now() - t0);
      t0 = performance.now();
      await Promise.all(workers.map((w) => run(w, shard, steps)));
      const all = (steps * shard * threads) / (performance.now() - t0);
      ratios.push(all / one);
    }
    return { threads, batch, rounds, stepsPerPhase: steps, ratios, medianRatio: median(ratios) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
};
