import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { lossCurvePng } from './lossCurve.js';
import type { MetricsLine } from './metricsLog.js';

const { PNG } = pngjs;
const LOSS = [31, 119, 180];
const BPD = [214, 39, 40];

/** Rows (y) where `ink` appears in column x of the PNG. */
const inkRows = (png: Buffer, x: number, ink: number[]): number[] => {
  const img = PNG.sync.read(png);
  const ys: number[] = [];
  for (let y = 0; y < img.height; y++) {
    const o = (y * img.width + x) * 4;
    if (img.data[o] === ink[0] && img.data[o + 1] === ink[1] && img.data[o + 2] === ink[2]) ys.push(y);
  }
  return ys;
};
const points = (losses: number[]): MetricsLine[] => losses.map((l, k) => ({ step: k + 1, loss: l, bitsPerDim: l / 100 }));

describe('lossCurvePng', () => {
  it('draws loss in the top panel and bits/dim in the bottom one, falling when the loss falls', () => {
    const png = lossCurvePng(points([200, 150, 120, 100, 90]), { width: 200, height: 200 });
    const [left, right] = [inkRows(png, 13, LOSS), inkRows(png, 186, LOSS)];
    expect(left.length).toBeGreaterThan(0); // the curve is drawn at both ends
    expect(right.length).toBeGreaterThan(0);
    expect(Math.max(...left, ...right)).toBeLessThan(100); // top panel
    expect(left[0]!).toBeLessThan(right[0]!); // high loss at the left: smaller y
    const bpd = inkRows(png, 13, BPD);
    expect(Math.min(...bpd)).toBeGreaterThanOrEqual(100); // bottom panel
  });
  it('negative control: a rising loss is drawn rising', () => {
    const png = lossCurvePng(points([90, 100, 120, 150, 200]), { width: 200, height: 200 });
    expect(inkRows(png, 13, LOSS)[0]!).toBeGreaterThan(inkRows(png, 186, LOSS)[0]!);
  });
  it('no points: axes only; bad sizes are a RangeError', () => {
    const png = lossCurvePng([], { width: 100, height: 100 });
    for (let x = 0; x < 100; x++) expect(inkRows(png, x, LOSS)).toEqual([]);
    expect(() => lossCurvePng([], { width: 10, height: 100 })).toThrow(/expected integer width, height ≥ 64, found 10×100/);
  });
  it('non-finite values leave a gap, not a crash', () => {
    const png = lossCurvePng([{ step: 1, loss: 3, bitsPerDim: null }, { step: 2, loss: null, bitsPerDim: null }, { step: 3, loss: 1, bitsPerDim: 0.5 }]);
    expect(PNG.sync.read(png).width).toBe(640);
  });
});
