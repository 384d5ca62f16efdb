// `npx tsx bench/scan-against-commit.ts COMMIT [rounds]`: the LSTM scan kernel (kernels/lstmScan.ts,
// relaxed-SIMD build) of this tree against the same file at an earlier commit, compiled here with
// AssemblyScript, both instantiated in this process and called in turn on the same inputs — the
// Row LSTM's geometry (batch 16, 28 steps of 28 lanes, h = 16, three taps). Prints each side's
// median forward and backward scan time, the ratios, and whether both sides computed the same
// states and weight gradient. A whole training step moves too much on this machine to show a
// change of one kernel (bench/against-commit.ts); this isolates it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { median } from './stats.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');
const [commit, roundsArg = '30'] = process.argv.slice(2);
if (!commit) throw new Error('bench/scan-against-commit.ts: expected a commit (e.g. HEAD~1) as the first argument');
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'scan-ab-'));
const asc = join(root, 'node_modules', '.bin', 'asc');
/** Compiles kernels/lstmScan.ts and the helpers it imports (kernels/simd.ts, where the tree has it) as they are in `read`'s tree. */
const compile = (read: (file: string) => string | null, name: string): Uint8Array => {
  const at = join(dir, name);
  mkdirSync(at);
  for (const file of ['lstmScan.ts', 'simd.ts']) {
    const source = read(file);
    if (source !== null) writeFileSync(join(at, file), source);
  }
  execFileSync(asc, [join(at, 'lstmScan.ts'), '--outFile', join(at, 'lstmScan.wasm'), '-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd,relaxed-simd', '--importMemory']);
  return readFileSync(join(at, 'lstmScan.wasm'));
};
const atCommit = (file: string): string | null => {
  const shown = spawnSync('git', ['show', `${commit}:kernels/${file}`], { cwd: root, encoding: 'utf8' });
  return shown.status === 0 ? shown.stdout : null;
};
const inTree = (file: string): string | null => (existsSync(join(root, 'kernels', file)) ? readFileSync(join(root, 'kernels', file), 'utf8') : null);
const builds = [
  { name: commit, bytes: compile(atCommit, 'then') },
  { name: 'this tree', bytes: compile(inTree, 'now') },
];
rmSync(dir, { recursive: true, force: true });

const [B, S, L, H, T] = [16, 28, 28, 16, 3];
const sizes = {
  pre: B * S * L * 4 * H, w: T * H * 4 * H, wT: 4 * H * T * H, h0: H, c0: H, states: B * S * L * H, tape: B * S * L * 7 * H, gates: 8 * H,
  dStates: B * S * L * H, dPre: B * S * L * 4 * H, dW: T * H * 4 * H, dh0: H, dc0: H, rec: B * L * H, recNext: B * L * H, dc: B * L * H, dPreStep: B * L * 4 * H, offsets: 4,
};
type Name = keyof typeof sizes;
interface WasmApi {
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer; grow(pages: number): number };
  Instance: new (m: object, i: object) => { exports: Record<string, (...a: number[]) => void> };
  Module: new (b: Uint8Array) => object;
}
const W = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const sides = builds.map(({ name, bytes }) => {
  const memory = new W.Memory({ initial: 1 });
  const k = new W.Instance(new W.Module(bytes), { env: { memory } }).exports;
  let at = 64;
  const p = {} as Record<Name, number>;
  for (const [n, len] of Object.entries(sizes) as [Name, number][]) {
    p[n] = at;
    at += Math.ceil((len * 4) / 64) * 64;
  }
  memory.grow(Math.ceil(at / 65536));
  const f = new Float32Array(memory.buffer);
  let seed = 7;
  for (let i = 16; i < at / 4; i++) f[i] = ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.5;
  new Int32Array(memory.buffer).set([-1, 0, 1], p.offsets / 4);
  const geometry = [B, S, L, L, 0, p.offsets, T, 0, H];
  return {
    name,
    forward: () => k['lstmScanForward']!(p.pre, p.w, p.h0, p.c0, p.states, p.tape, p.gates, ...geometry),
    backward: () => k['lstmScanBackward']!(p.dStates, p.tape, p.wT, p.h0, p.c0, p.dPre, p.dW, p.dh0, p.dc0, p.rec, p.recNext, p.dc, p.dPreStep, ...geometry),
    read: (n: Name) => new Float32Array(memory.buffer, p[n], sizes[n]).slice(),
    times: { forward: [] as number[], backward: [] as number[] },
  };
});
const rounds = Number(roundsArg);
for (let r = 0; r < rounds + 3; r++)
  for (const s of r % 2 ? [...sides].reverse() : sides)
    for (const phase of ['forward', 'backward'] as const) {
      const t0 = performance.now();
      s[phase]();
      if (r >= 3) s.times[phase].push(performance.now() - t0);
    }
const same = (n: Name) => {
  const [a, b] = sides.map((s) => s.read(n));
  return a!.every((v, i) => v === b![i]);
};
for (const s of sides) console.log(`${s.name.padEnd(10)} forward ${median(s.times.forward).toFixed(2)} ms, backward ${median(s.times.backward).toFixed(2)} ms (medians of ${rounds})`);
const [then, now] = sides;
console.log(`this tree ÷ ${commit}: forward ${(median(now!.times.forward) / median(then!.times.forward)).toFixed(3)}× the time, backward ${(median(now!.times.backward) / median(then!.times.backward)).toFixed(3)}×; states bitwise equal: ${same('states')}, dW bitwise equal: ${same('dW')}`);
