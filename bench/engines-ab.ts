// `npx tsx bench/engines-ab.ts [rounds]`: in-process vs 1 worker vs 2 workers, steps interleaved so that a
// shared machine's load hits all three alike; median gradient-step time (no optimizer update).
import { selectBackend } from '../src/backend.js';
import { familyOf, presets } from '../src/models/registry.js';
import { localEngine, type GradientEngine } from '../src/train/engine.js';
import { workerEngine } from '../src/train/workers.js';
import { tf } from '../src/tf.js';
import { Rng } from '../src/rng.js';
await selectBackend('wasm');
const spec = presets.reference!({ height: 28, width: 28, channels: 1, levels: 256 });
const params = familyOf(spec).init(spec, 1);
const rng = Rng.fromSeed(3, 1);
const batch = { shape: spec, index: 0, records: Array.from({ length: 16 }, (_, i) => ({ index: i, pixels: Uint8Array.from({ length: 784 }, () => rng.int(256)) })) };
const engines: Record<string, GradientEngine> = { local: localEngine({ convImpl: 'gather' }), w1: workerEngine({ workers: 1 }), w2: workerEngine({ workers: 2 }) };
const times: Record<string, number[]> = {};
const cores: Record<string, number[]> = {}; // process CPU time ÷ wall time: cores actually obtained
for (let r = 0; r < Number(process.argv[2] ?? 6); r++)
  for (const [k, e] of Object.entries(engines)) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const { grads } = await e.compute(spec, params, batch);
    tf.dispose(Object.values(grads));
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    if (r > 0) {
      (times[k] ??= []).push(wall);
      (cores[k] ??= []).push((cpu.user + cpu.system) / 1000 / wall);
    }
  }
const med = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
for (const [k, v] of Object.entries(times)) console.log(k, med(v).toFixed(0), 'ms', (16000 / med(v)).toFixed(2), 'img/s', 'cores used', med(cores[k]!).toFixed(2), '| steps', v.map((x) => x.toFixed(0)).join(' '));
for (const e of Object.values(engines)) await e.close();
