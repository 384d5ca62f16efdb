// The reference receptive field: agrees with the mask tables, has the PixelCNN blind spot, and is
// never larger than what the autoregressive order allows.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskTable } from '../src/masks.js';
import type { PixelCnnSpec } from '../src/models/pixelcnn/spec.js';
import { pixelCnnSpecArb } from './arbitraries.js';
import { allowedField, diagonalBiLstmField, pixelCnnField, rowLstmField, stackField, unionDependence } from './field.js';
import { multiscaleOrder } from './order.js';
import { flatIndex } from './types.js';

const spec = (o: Partial<PixelCnnSpec>): PixelCnnSpec => ({
  family: 'pixelcnn', height: 3, width: 5, channels: 1, levels: 2, hidden: 4, residualLayers: 0, firstKernel: 3,
  kernel: 3, headHidden: 4, likelihood: { kind: 'categorical' }, ...o,
});

describe('autoregressive orders', () => {
  it('multi-scale: the small image first (raster), then the rest (raster), channels in order', () => {
    const rank = multiscaleOrder({ height: 4, width: 4, channels: 1, levels: 2, factor: 2 });
    expect(Array.from(rank)).toEqual([0, 4, 1, 5, 6, 7, 8, 9, 2, 10, 3, 11, 12, 13, 14, 15]);
    const allowed = allowedField({ height: 4, width: 4, channels: 1, levels: 2 }, rank);
    expect(allowed.has[1 * 16 + 8]).toBe(1); // (0, 1) may see the small pixel (2, 0) below it
    expect(allowed.has[8 * 16 + 1]).toBe(0);
    const rgb = multiscaleOrder({ height: 2, width: 2, channels: 3, levels: 2, factor: 2 });
    expect(Array.from(rgb.slice(0, 6))).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('reference receptive field', () => {
  it('one layer of each mask type sees exactly the taps and centre groups of src/masks.ts', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 3, 5, 7), fc.constantFrom('A' as const, 'B' as const), fc.constantFrom(1, 3), (k, type, C) => {
        const shape = { height: 7, width: 7, channels: C, levels: 2 };
        const field = stackField(shape, [{ kh: k, kw: k, type, residual: false }]);
        const table = maskTable(k, k, type, C, C, C);
        const centre = { i: 3, j: 3 };
        for (let g = 0; g < C; g++) {
          const p = flatIndex(shape, { ...centre, c: g });
          const seen = new Set<number>();
          for (let q = 0; q < field.size; q++) if (field.has[p * field.size + q]) seen.add(q);
          const want = new Set<number>();
          for (const t of table.pastTaps)
            for (let c = 0; c < C; c++) want.add(flatIndex(shape, { i: centre.i + t.dy, j: centre.j + t.dx, c }));
          for (let c = 0; c < C; c++) if (table.centre[c]![g]) want.add(flatIndex(shape, { ...centre, c }));
          expect([...seen].sort((a, b) => a - b)).toEqual([...want].sort((a, b) => a - b));
        }
      }),
    );
  });

  it('2×2×1 with a 3×3 mask A: each pixel sees exactly the earlier ones', () => {
    const f = pixelCnnField(spec({ height: 2, width: 2 }));
    expect(Array.from(f.has)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0]);
  });

  it('has the blind spot: two 3×3 layers at (2, 2) do not see (1, 4), which the order allows', () => {
    const s = spec({ residualLayers: 1 });
    const f = pixelCnnField(s);
    const allowed = allowedField(s);
    const p = flatIndex(s, { i: 2, j: 2, c: 0 });
    const q = flatIndex(s, { i: 1, j: 4, c: 0 });
    expect(allowed.has[p * f.size + q]).toBe(1);
    expect(f.has[p * f.size + q]).toBe(0);
    expect(f.has[p * f.size + flatIndex(s, { i: 0, j: 4, c: 0 })]).toBe(1); // through (1, 3)
  });

  it('is contained in what the autoregressive order allows, for every spec', () => {
    fc.assert(
      fc.property(pixelCnnSpecArb(), (s) => {
        const f = pixelCnnField(s);
        const allowed = allowedField(s);
        expect(Array.from(unionDependence(f, allowed).has)).toEqual(Array.from(allowed.has));
      }),
      { seed: 5, numRuns: 60 },
    );
  });

  it('PixelRNNs: the Diagonal BiLSTM sees the whole past, the Row LSTM a triangle above the pixel', () => {
    const body = { hidden: 3, headHidden: 3, layers: 1, firstKernel: 3, likelihood: { kind: 'categorical' }, residual: false, skip: false };
    for (const shape of [{ height: 4, width: 5, channels: 1 as const, levels: 2 }, { height: 3, width: 3, channels: 3 as const, levels: 2 }]) {
      const diag = diagonalBiLstmField({ ...shape, family: 'diagonal-bilstm', ...body });
      expect(Array.from(diag.has)).toEqual(Array.from(allowedField(shape).has));
    }
    const shape = { height: 4, width: 7, channels: 1 as const, levels: 2 };
    const row = rowLstmField({ ...shape, family: 'row-lstm', rowKernel: 3, ...body });
    const p = flatIndex(shape, { i: 3, j: 3, c: 0 });
    expect(row.has[p * row.size + flatIndex(shape, { i: 3, j: 2, c: 0 })]).toBe(1); // left neighbour
    expect(row.has[p * row.size + flatIndex(shape, { i: 2, j: 6, c: 0 })]).toBe(0); // outside it, though in the past
    expect(row.has[p * row.size + flatIndex(shape, { i: 0, j: 6, c: 0 })]).toBe(1); // the triangle widens upwards
  });
});

