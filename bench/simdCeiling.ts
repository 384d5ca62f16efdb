// `npx tsx bench/simdCeiling.ts`: how much two threads get out of this machine's two cores on pure,
// in-cache SIMD compute — our conv kernel on a problem that fits in cache, nothing shared, no memory
// traffic to speak of, no barrier but the end of each phase. Per round, one thread alone, then two
// at once; the ratio of work per second, per round and median. A data-parallel training step adds a
// working set and a barrier every step, so it should not be expected to scale better than this.
import { Worker } from 'node:worker_threads';
import { median } from './stats.js';


const start = async (): Promise<Worker> => {
  const worker = new Worker(new URL('../src/train/worker-boot.mjs', import.meta.url), {
    workerData: { entry: new URL('./simd-ceiling-worker.ts', import.meta.url).href },
  });
  await new Promise((resolve) => worker.once('message', resolve));
  return worker;
};

/** `reps` kernel calls in one thread: milliseconds. */
const run = (worker: Worker, reps: number) =>
  new Promise<number>((resolve) => {
    worker.once('message', resolve);
    worker.postMessage(reps);
  });

const [a, b] = [await start(), await start()];
await Promise.all([run(a, 300), run(b, 300)]); // warm-up
const ratios: number[] = [];
for (let round = 0; round < 10; round++) {
  const alone = await run(a, 1500);
  const [x, y] = await Promise.all([run(a, 1500), run(b, 1500)]);
  ratios.push((2 * alone) / Math.max(x, y));
  console.log(`alone ${alone.toFixed(0)} ms; together ${x.toFixed(0)} and ${y.toFixed(0)} ms → ${ratios.at(-1)!.toFixed(2)}×`);
}
console.log(`2 threads ÷ 1 thread, median of ${ratios.length} rounds: ${median(ratios).toFixed(2)}×`);
await Promise.all([a.terminate(), b.terminate()]);
