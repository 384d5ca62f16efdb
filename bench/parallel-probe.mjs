// `node bench/parallel-probe.mjs`: how many cores this process actually gets for 1 and 2 busy worker threads
// (pure JS, no tfjs). On a shared machine (CFS groups) 2 threads may get no more than 1: then no
// data-parallel speed-up can show, whatever the engine does.
import { Worker } from 'node:worker_threads';
const code = `const { parentPort } = require('node:worker_threads'); parentPort.on('message', (ms) => { const t = Date.now(); let x = 0; while (Date.now() - t < ms) x += Math.sqrt(x + 1); parentPort.postMessage(x); });`;
for (const n of [1, 2, 1, 2]) {
  const ws = Array.from({ length: n }, () => new Worker(code, { eval: true }));
  const c0 = process.cpuUsage(); const t0 = performance.now();
  await Promise.all(ws.map((w) => new Promise((r) => { w.once('message', r); w.postMessage(1500); })));
  const wall = performance.now() - t0; const c = process.cpuUsage(c0);
  console.log(n, 'workers: cores used', ((c.user + c.system) / 1000 / wall).toFixed(2));
  await Promise.all(ws.map((w) => w.terminate()));
}
