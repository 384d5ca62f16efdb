// The two builds of every kernel — relaxed SIMD (fused multiply-add) and the plain-SIMD fallback —
// and the load-time choice between them: the feature probe, forcing the fallback, and both builds
// computing the same results within float tolerance (and not bit for bit: two binaries really ran).
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { causalConvForward, causalConvInputGrad, causalConvWeightGrad, rectangleTaps } from './causalConv.js';
import { lstmScanForward } from './lstmScan.js';
import { buildFile, kernelBuild, relaxedProbe, relaxedSimdSupported, useKernelBuild, type KernelBuild } from './module.js';

const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
const binary = (file: string) => readFileSync(new URL(`./${file}`, import.meta.url));

const random = (n: number, seed: number) => {
  const rng = Rng.fromSeed(seed, 3);
  return Float32Array.from({ length: n }, () => rng.normal());
};

/** Largest |a − b| / max(1, |b|). */
const worst = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return w;
};

/** Holds f32x4.relaxed_madd (0xfd 0x85 0x02) somewhere in its code. */
const hasRelaxedMadd = (bytes: Uint8Array) => bytes.some((v, i) => v === 0xfd && bytes[i + 1] === 0x85 && bytes[i + 2] === 0x02);

// A residual 3×3 mask-B layer of the reference PixelCNN, on a small image: 5 taps, 32 → 32.
const shape = [2, 6, 7, 32] as const;
const taps = rectangleTaps(1, 1, 3, 5);
const x = random(shape.reduce((a, b) => a * b, 1), 1);
const weights = random(5 * 32 * 32, 2).map((v) => v * 0.1);
const bias = random(32, 3);
const dy = random(x.length, 4);

const conv = (build: KernelBuild) => {
  useKernelBuild(build);
  return {
    y: causalConvForward(x, shape, weights, bias, 32, taps),
    dx: causalConvInputGrad(dy, shape, weights, 32, taps),
    ...causalConvWeightGrad(x, dy, shape, 32, taps),
  };
};

const geometry = { batch: 2, mode: 'diagonal', height: 5, width: 6, offsets: [-1, 0], reverse: false, hidden: 8 } as const;
const scan = (build: KernelBuild) => {
  useKernelBuild(build);
  const n = geometry.batch * geometry.height * geometry.width;
  return lstmScanForward(random(n * 32, 5), random(2 * 8 * 32, 6).map((v) => v * 0.3), random(8, 7), random(8, 8), geometry).states;
};

describe('kernel builds: relaxed SIMD and the plain-SIMD fallback', () => {
  const initial = kernelBuild();
  afterEach(() => useKernelBuild(initial));

  it('the feature probe is a well-formed module: with a plain 3-operand SIMD op (v128.bitselect) in its place it validates', () => {
    expect(wasm.validate(relaxedProbe([0x52]))).toBe(true);
  });

  it('the probe fails where the instruction does not exist (negative control: an unassigned opcode)', () => {
    expect(wasm.validate(relaxedProbe([0xff, 0x0f]))).toBe(false);
  });

  it('the probe answers as the real relaxed binaries do: supported exactly when they validate', () => {
    for (const file of ['causalConv.wasm', 'lstmScan.wasm']) {
      expect(wasm.validate(binary(buildFile(file, 'relaxed-simd')))).toBe(relaxedSimdSupported());
      expect(wasm.validate(binary(file))).toBe(true);
    }
  });

  it('Node 20+ runs the relaxed build by default (its V8 flag is turned on before compiling)', () => {
    expect(relaxedSimdSupported()).toBe(true);
    expect(process.env['PIXELSTREAMS_KERNELS'] === 'simd' ? 'simd' : 'relaxed-simd').toBe(initial);
  });

  it('the relaxed binaries hold fused multiply-adds and the fallback binaries none', () => {
    for (const file of ['causalConv.wasm', 'lstmScan.wasm']) {
      expect(hasRelaxedMadd(binary(buildFile(file, 'relaxed-simd')))).toBe(true);
      expect(hasRelaxedMadd(binary(file))).toBe(false);
    }
  });

  it('forcing the fallback switches the build, and both builds agree within float tolerance (forward, dx, dW, db)', () => {
    const fused = conv('relaxed-simd');
    expect(kernelBuild()).toBe('relaxed-simd');
    const plain = conv('simd');
    expect(kernelBuild()).toBe('simd');
    for (const k of ['y', 'dx', 'dW', 'db'] as const) expect(worst(fused[k], plain[k])).toBeLessThan(1e-5);
    // fused multiply-adds round once where mul + add round twice: some values differ, so two binaries ran
    expect(['y', 'dx', 'dW'].some((k) => worst(fused[k as 'y'], plain[k as 'y']) > 0)).toBe(true);
  });

  it('the tolerance catches a real error (negative control: one weight changed by 1%)', () => {
    const plain = conv('simd');
    const saved = weights[17]!;
    weights[17] = saved * 1.01 + 0.01;
    try {
      expect(worst(conv('relaxed-simd').y, plain.y)).toBeGreaterThan(1e-5);
    } finally {
      weights[17] = saved;
    }
  });

  it('the LSTM scan agrees across builds too (Diagonal BiLSTM geometry)', () => {
    const fused = scan('relaxed-simd');
    const plain = scan('simd');
    expect(worst(fused, plain)).toBeLessThan(1e-5);
    expect(worst(fused, plain)).toBeGreaterThan(0);
  });

  it('PIXELSTREAMS_KERNELS other than simd or relaxed-simd is refused by name', async () => {
    const { execFileSync } = await import('node:child_process');
    const run = (value: string) =>
      execFileSync(process.execPath, ['--import', 'tsx', '-e', "import('./src/kernels/module.ts').then((m) => console.log(m.kernelBuild()))"], {
        env: { ...process.env, PIXELSTREAMS_KERNELS: value },
        encoding: 'utf8',
        stdio: 'pipe',
      }).trim();
    expect(run('simd')).toBe('simd');
    expect(() => run('avx')).toThrow(/PIXELSTREAMS_KERNELS: expected 'simd' or 'relaxed-simd', found 'avx'/);
  }, 30_000);
});
