// The machine's own limit for data-parallel training, measured in the same run as the worker engine:
// the reference PixelCNN's gradient computation in N threads at once (batch B/N each) with no
// coordination at all — no parameters sent, no gradients returned or averaged, no update — against
// one thread at batch B, one step each per round. bench.ts runs a round in every round of engine
// steps (after them, or before them in odd rounds), so that both ratios meet the same machine load;
// a worker engine cannot beat this ratio, and what is left between the two is the engine's own cost.
import { Worker } from 'node:worker_threads';
import type { ConvImpl } from '../src/layers/maskedConv.js';

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

/** `steps` steps at batch `count` in one thread: their times (ms). */
const run = (w: Worker, count: number, steps: number) =>
  new Promise<number[]>((resolve, reject) => {
    const onError = (e: Error) => {
      w.off('message', onTimes);
      reject(e);
    };
    const onTimes = (times: number[]) => {
      w.off('error', onError);
      resolve(times);
    };
    w.once('error', onError);
    w.once('message', onTimes);
    w.postMessage({ count, steps });
  });

export interface CeilingThreads {
  /** One step at batch B in one thread, then one at B/N in each of N threads at once: the ratio of images/s. */
  readonly round: () => Promise<number>;
  readonly close: () => Promise<void>;
}

/** N threads with the reference model, warmed up; `round` can be called between other timings. */
export const startCeiling = async (options: { threads: number; batch: number; backend: string; convImpl: ConvImpl }): Promise<CeilingThreads> => {
  const { threads, batch, backend, convImpl } = options;
  const workers = await Promise.all(Array.from({ length: threads }, () => start(backend, convImpl)));
  const shard = Math.ceil(batch / threads);
  await Promise.all(workers.map((w) => run(w, shard, 1))); // warm-up, every thread
  await run(workers[0]!, batch, 1);
  const one = async () => {
    const t0 = performance.now();
    await run(workers[0]!, batch, 1);
    return batch / (performance.now() - t0);
  };
  const all = async () => {
    const t0 = performance.now();
    await Promise.all(workers.map((w) => run(w, shard, 1)));
    return (shard * threads) / (performance.now() - t0);
  };
  let rounds = 0;
  return {
    // Alternate which phase goes first, as bench.ts alternates the engines.
    round: async () => {
      if (rounds++ % 2 === 0) {
        const a = await one();
        return (await all()) / a;
      }
      const n = await all();
      return n / (await one());
    },
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
};
