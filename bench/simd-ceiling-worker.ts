// A thread of bench/simdCeiling.ts: our masked-conv forward kernel on a problem that fits in cache
// (x 8×16×64, 5 taps, 64 outputs: 2.6 M multiply-adds per call, ~110 KB), `reps` times per message.
import { parentPort } from 'node:worker_threads';
import { causalConvForward } from '../src/kernels/causalConv.js';
const shape = [1, 8, 16, 64] as [number, number, number, number];
const x = Float32Array.from({ length: 8 * 16 * 64 }, (_, i) => Math.sin(i));
const taps: [number, number][] = [[-1, -1], [-1, 0], [-1, 1], [0, -1], [0, 0]];
const w = Float32Array.from({ length: 5 * 64 * 64 }, (_, i) => Math.cos(i) * 0.01);
parentPort!.on('message', (reps: number) => {
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) causalConvForward(x, shape, w, null, 64, taps);
  parentPort!.postMessage(performance.now() - t0);
});
parentPort!.postMessage('ready');
