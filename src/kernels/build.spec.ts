// The committed .wasm kernels are what their AssemblyScript sources compile to (`npm run build:kernels`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { relaxedSimdSupported } from './module.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts['build:kernels'] as string;
const commands = script.split(' && ').map((c) => c.split(' '));

relaxedSimdSupported(); // turns relaxed SIMD on in Node 20, so the .relaxed.wasm builds compile here too

describe('npm run build:kernels', () => {
  it.each(commands.map((c) => c[c.indexOf('--outFile') + 1]!))('%s imports its memory and writes nothing into it when instantiated (it runs on the tfjs heap)', (file) => {
    const api = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer }; Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => object } }).WebAssembly;
    const memory = new api.Memory({ initial: 2 });
    new Uint8Array(memory.buffer).fill(0xa5);
    new api.Instance(new api.Module(readFileSync(join(root, file))), { env: { memory } });
    expect(new Uint8Array(memory.buffer).every((v) => v === 0xa5)).toBe(true);
  });

  it('builds every kernel under src/kernels', () => {
    expect(commands.map((c) => c[0])).toEqual(commands.map(() => 'asc'));
    expect(commands.map((c) => c[c.indexOf('--outFile') + 1]).sort()).toEqual(['causalConv', 'crossEntropy', 'lstmScan'].flatMap((k) => [`src/kernels/${k}.relaxed.wasm`, `src/kernels/${k}.wasm`]));
  });

  it.each(commands.map((c) => [c[c.indexOf('--outFile') + 1]!, c] as const))('the committed %s is what its source compiles to', (committed, command) => {
    const dir = mkdtempSync(join(tmpdir(), 'pixelstreams-asc-'));
    try {
      const out = join(dir, 'k.wasm');
      const args = command.slice(1).map((a) => (a === committed ? out : a));
      execFileSync(join(root, 'node_modules/.bin/asc'), args, { cwd: root, stdio: 'pipe' });
      expect(readFileSync(out).equals(readFileSync(join(root, committed)))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
