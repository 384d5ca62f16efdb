import { describe, expect, it } from 'vitest';
import { chiSquare, chiSquarePValue, gammaQ } from './stats.js';

describe('χ² p-values', () => {
  it('match tabulated quantiles', () => {
    expect(chiSquarePValue(3.841459, 1)).toBeCloseTo(0.05, 5);
    expect(chiSquarePValue(18.307038, 10)).toBeCloseTo(0.05, 5);
    expect(chiSquarePValue(29.588298, 10)).toBeCloseTo(0.001, 6);
    expect(chiSquarePValue(135.806723, 100)).toBeCloseTo(0.01, 5);
  });
  it('equal exp(−x/2) for 2 degrees of freedom', () => {
    for (const x of [0.1, 1, 5, 40]) expect(gammaQ(1, x / 2)).toBeCloseTo(Math.exp(-x / 2), 12);
  });
  it('pools rare cells and flags an impossible observation', () => {
    const ok = chiSquare([50, 50, 1, 0], [50, 49, 0.5, 0.5]);
    expect(ok.cells).toBe(2);
    expect(ok.pValue).toBeGreaterThan(0.5);
    expect(chiSquare([10, 10, 3], [11.5, 11.5, 0]).pValue).toBe(0);
  });
});
