import { describe, expect, it } from 'vitest';
import { channelGroup, denseMask, maskTable, usefulWeights } from './masks.js';

const grid = (kh: number, kw: number, t: ReturnType<typeof maskTable>) => {
  // 1 where a tap is fully visible, 'c' for the centre, '.' hidden
  const cy = Math.floor(kh / 2), cx = Math.floor(kw / 2);
  return Array.from({ length: kh }, (_, y) =>
    Array.from({ length: kw }, (_, x) =>
      y === cy && x === cx ? 'c' : t.pastTaps.some((p) => p.dy === y - cy && p.dx === x - cx) ? '1' : '.',
    ).join(''),
  );
};

describe('mask tables', () => {
  it('3×3: the row above and the pixel to the left are visible, nothing after the centre', () => {
    expect(grid(3, 3, maskTable(3, 3, 'B', 1, 1, 1))).toEqual(['111', '1c.', '...']);
  });

  it('7×7 mask A keeps 24 off-centre taps; 3×3 mask B keeps 4 plus the centre', () => {
    const a = maskTable(7, 7, 'A', 1, 8, 1);
    expect(a.pastTaps).toHaveLength(24);
    expect(a.centreUsed).toBe(false);
    const b = maskTable(3, 3, 'B', 8, 8, 1);
    expect(b.pastTaps).toHaveLength(4);
    expect(b.centreUsed).toBe(true);
  });

  it('1×3 (a row kernel) sees only the pixel to its left and the centre', () => {
    expect(grid(1, 3, maskTable(1, 3, 'B', 1, 1, 1))).toEqual(['1c.']);
  });

  it('C = 1: mask A hides the centre, mask B shows it', () => {
    expect(maskTable(3, 3, 'A', 1, 4, 1).centre.flat()).toEqual([0, 0, 0, 0]);
    expect(maskTable(3, 3, 'B', 4, 4, 1).centre.flat().every((v) => v === 1)).toBe(true);
  });

  it('C = 3 mask A at the centre: R sees nothing, G sees R, B sees R and G', () => {
    // input = the image's channels, output = 3 groups of 2 features
    const t = maskTable(3, 3, 'A', 3, 6, 3);
    expect(t.centre).toEqual([
      [0, 0, 1, 1, 1, 1], // input R feeds G and B outputs
      [0, 0, 0, 0, 1, 1], // input G feeds B outputs
      [0, 0, 0, 0, 0, 0], // input B feeds nothing
    ]);
  });

  it('C = 3 mask B at the centre: each group also sees itself', () => {
    const t = maskTable(1, 1, 'B', 3, 3, 3);
    expect(t.centre).toEqual([
      [1, 1, 1],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(t.pastTaps).toHaveLength(0);
  });

  it('channel groups are contiguous blocks of features', () => {
    expect(Array.from({ length: 6 }, (_, f) => channelGroup(f, 6, 3))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(Array.from({ length: 512 }, (_, f) => channelGroup(f, 512, 2)).filter((g) => g === 1)).toHaveLength(256);
  });

  it('the dense mask and the useful-weight count agree', () => {
    const t = maskTable(5, 5, 'A', 3, 6, 3);
    const ones = denseMask(t).reduce((s, v) => s + v, 0);
    expect(ones).toBe(usefulWeights(t));
    expect(ones).toBe(12 * 3 * 6 + 6); // centre: R→G,B (4) and G→B (2)
  });
});
