// The cached samplers' per-pixel product (kernels/causalConv.ts segmentGemm through PixelMemory)
// against a plain JS sum, in both kernel builds, at sizes that hit every tile edge: M not a multiple
// of 4, N with 8-wide, 4-wide and single-lane parts, segments of different K and strides.
import { afterEach, describe, expect, it } from 'vitest';
import { ownKernelsRun, setCausalConvKernels } from '../kernels/causalConv.js';
import { kernelBuild, relaxedSimdSupported, useKernelBuild, type KernelBuild } from '../kernels/module.js';
import { Rng } from '../rng.js';
import { PixelMemory } from './pixelMemory.js';

interface Case {
  readonly M: number;
  readonly N: number;
  readonly ldx: number;
  readonly ldw: number;
  readonly ldo: number;
  readonly segs: readonly { readonly K: number; readonly xOff: number; readonly wOff: number }[];
}

/** Run one case on a fresh PixelMemory; returns the kernel's acc and the JS reference. */
const run = (c: Case, seed: number, corrupt = false, engine: 'wasm' | 'js' = 'wasm') => {
  const rng = Rng.fromSeed(seed, 11);
  const mem = new PixelMemory(engine);
  const xs = c.segs.map(() => mem.alloc(c.M * c.ldx));
  const ws = c.segs.map((s) => mem.alloc(s.K * c.ldw + c.ldw));
  const acc = mem.alloc(c.M * c.ldo);
  mem.ready(c.segs.length);
  const f32 = mem.f32;
  for (let n = 0; n < f32.length && n < acc + c.M * c.ldo; n++) f32[n] = rng.normal();
  const expected = f32.slice(acc, acc + c.M * c.ldo);
  c.segs.forEach((s, i) => {
    for (let m = 0; m < c.M; m++)
      for (let n = 0; n < c.N; n++) {
        let v = 0;
        for (let k = 0; k < s.K; k++) v += f32[xs[i]! + s.xOff + m * c.ldx + k]! * f32[ws[i]! + s.wOff + k * c.ldw + n]!;
        expected[m * c.ldo + n]! += v;
      }
  });
  mem.clear();
  c.segs.forEach((s, i) => mem.seg(xs[i]! + s.xOff, corrupt && i === 0 ? s.K - 1 : s.K, ws[i]! + s.wOff));
  mem.gemm(acc, c.ldo, c.M, c.N, c.ldx, c.ldw);
  return { got: f32.slice(acc, acc + c.M * c.ldo), expected, build: mem.build };
};

const worst = (a: Float32Array, b: Float32Array) => a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i]!) / Math.max(1, Math.abs(b[i]!))), 0);

const cases: Case[] = [
  { M: 16, N: 64, ldx: 64, ldw: 64, ldo: 64, segs: [{ K: 64, xOff: 0, wOff: 0 }, { K: 64, xOff: 0, wOff: 0 }, { K: 30, xOff: 0, wOff: 0 }] },
  { M: 3, N: 22, ldx: 7, ldw: 30, ldo: 30, segs: [{ K: 5, xOff: 2, wOff: 8 }] }, // a group of 22 columns from column 8
  { M: 5, N: 13, ldx: 3, ldw: 13, ldo: 20, segs: Array.from({ length: 9 }, (_, t) => ({ K: 1 + (t % 3), xOff: 0, wOff: 0 })) },
  { M: 1, N: 3, ldx: 1, ldw: 3, ldo: 3, segs: [{ K: 1, xOff: 0, wOff: 0 }] },
];

describe('PixelMemory.gemm (segmentGemm): acc += Σ_segments x_s · w_s', () => {
  const initial = kernelBuild();
  afterEach(() => useKernelBuild(initial));
  const builds: KernelBuild[] = relaxedSimdSupported() ? ['relaxed-simd', 'simd'] : ['simd'];

  for (const build of builds)
    it(`matches a plain JS sum at every tile edge (${build} build)`, () => {
      useKernelBuild(build);
      cases.forEach((c, i) => {
        const { got, expected, build: ran } = run(c, i);
        expect(ran).toBe(build);
        expect(worst(got, expected)).toBeLessThan(1e-5);
      });
    });

  it('matches a plain JS sum at every tile edge (the js engine, where our kernels do not run)', () => {
    cases.forEach((c, i) => {
      const { got, expected, build } = run(c, i, false, 'js');
      expect(build).toBe('js');
      expect(worst(got, expected)).toBeLessThan(1e-5);
    });
  });

  it('negative control: a segment one feature short is caught (both engines)', () => {
    for (const engine of ['wasm', 'js'] as const) {
      const { got, expected } = run(cases[0]!, 0, true, engine);
      expect(worst(got, expected)).toBeGreaterThan(1e-3);
    }
  });

  it("'auto' runs our kernels exactly where the network's forward pass does (ownKernelsRun)", () => {
    expect(new PixelMemory().build === 'js').toBe(!ownKernelsRun());
    setCausalConvKernels(false);
    try {
      expect(new PixelMemory().build).toBe('js');
    } finally {
      setCausalConvKernels(true);
    }
    expect(new PixelMemory().build).not.toBe('js');
  });

  for (const engine of ['wasm', 'js'] as const)
  it(`streamRelu: stream = first ? sum : stream + sum, out = relu(stream), 4-wide and single lanes (${engine})`, () => {
    const mem = new PixelMemory(engine);
    const [sum, stream, out] = [mem.alloc(2 * 8), mem.alloc(2 * 8), mem.alloc(2 * 9)];
    mem.ready(1);
    const f32 = mem.f32;
    const rng = Rng.fromSeed(3, 3);
    for (let n = 0; n < 16; n++) [f32[sum + n], f32[stream + n]] = [rng.normal(), rng.normal()];
    const before = f32.slice(stream, stream + 16);
    mem.streamRelu(sum + 1, stream + 1, out + 2, 2, 6, 8, 9, false); // features 1..6 of rows 8 apart, out rows 9 apart from feature 2
    for (let b = 0; b < 2; b++)
      for (let n = 0; n < 8; n++) {
        const inside = n >= 1 && n < 7;
        const v = inside ? Math.fround(before[b * 8 + n]! + f32[sum + b * 8 + n]!) : before[b * 8 + n]!;
        expect(f32[stream + b * 8 + n]).toBe(v);
        if (inside) expect(f32[out + b * 9 + n + 1]).toBe(Math.max(v, 0));
      }
    mem.streamRelu(sum, stream, out, 1, 5, 8, 9, true);
    for (let n = 0; n < 5; n++) expect([f32[stream + n], f32[out + n]]).toEqual([f32[sum + n], Math.max(f32[sum + n]!, 0)]);
  });

  for (const engine of ['wasm', 'js'] as const)
  it(`lstmCells: c = σ(f)·cp + σ(i)·tanh(g), h = σ(o)·tanh(c) on features [k0, k1) only; ldcp = 0 shares one cell (${engine})`, () => {
    const hid = 6;
    const M = 3;
    const mem = new PixelMemory(engine);
    const [gates, cp, h, c] = [mem.alloc(M * 4 * hid), mem.alloc(M * hid), mem.alloc(M * hid), mem.alloc(M * hid)];
    mem.ready(1);
    const f32 = mem.f32;
    const rng = Rng.fromSeed(4, 4);
    for (let n = 0; n < M * 4 * hid; n++) f32[gates + n] = 3 * rng.normal();
    for (let n = 0; n < M * hid; n++) [f32[cp + n], f32[h + n], f32[c + n]] = [rng.normal(), 7, 7];
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const check = (ldcp: number, k0: number, k1: number) => {
      mem.lstmCells(gates, 4 * hid, cp, ldcp, h, hid, c, hid, M, hid, k0, k1);
      for (let m = 0; m < M; m++)
        for (let k = 0; k < hid; k++) {
          const g = (q: number) => f32[gates + m * 4 * hid + q * hid + k]!;
          if (k < k0 || k >= k1) {
            expect([f32[h + m * hid + k], f32[c + m * hid + k]]).toEqual([7, 7]); // outside the range: untouched
            continue;
          }
          const cn = s(g(1)) * f32[cp + m * ldcp + k]! + s(g(0)) * Math.tanh(g(3));
          expect(Math.abs(f32[c + m * hid + k]! - cn)).toBeLessThan(1e-5);
          expect(Math.abs(f32[h + m * hid + k]! - s(g(2)) * Math.tanh(cn))).toBeLessThan(1e-5);
        }
    };
    check(hid, 1, 6); // a 4-wide group and a single lane
    check(0, 1, 6);
    f32.fill(7, h, h + M * hid);
    f32.fill(7, c, c + M * hid);
    check(hid, 2, 4); // one partial group of two lanes
  });

  for (const engine of ['wasm', 'js'] as const)
  it(`no segments leaves acc alone; too many segments and alloc after ready() are refused (${engine})`, () => {
    const mem = new PixelMemory(engine);
    const acc = mem.alloc(8);
    mem.ready(1);
    mem.f32.fill(2, acc, acc + 8);
    mem.clear();
    mem.gemm(acc, 8, 1, 8, 8, 8);
    expect(Array.from(mem.f32.subarray(acc, acc + 8))).toEqual(new Array(8).fill(2));
    mem.seg(acc, 1, acc);
    expect(() => mem.seg(acc, 1, acc)).toThrow('PixelMemory: more than 1 segments in one product');
    expect(() => mem.alloc(4)).toThrow('PixelMemory: alloc after ready()');
  });
});
