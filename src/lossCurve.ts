// The loss-curve picture written beside samples.png at the end of training: two stacked panels,
// training loss (nats per image, top) and bits/dim (bottom) against the step, as a PNG (pngjs).
// Each panel's x axis spans the logged steps, its y axis the finite values' range (with 5% margin),
// with four light grid lines; no text (the numbers are in report.json and metrics.jsonl). Pure:
// points in, PNG bytes out.

import { withSoftwareTag } from './data/png.js';
import pngjs from 'pngjs';
import type { MetricsLine } from './metricsLog.js';

const { PNG } = pngjs;

export interface LossCurveOptions {
  readonly width?: number; // default 640
  readonly height?: number; // default 400 (two panels)
}

type Rgb = readonly [number, number, number];
const INK: Record<'loss' | 'bpd' | 'axis' | 'grid', Rgb> = {
  loss: [31, 119, 180],
  bpd: [214, 39, 40],
  axis: [90, 90, 90],
  grid: [225, 225, 225],
};

/** Panel y-range of the finite values, or null when there are none. */
const range = (ys: readonly (number | null)[]): [number, number] | null => {
  const v = ys.filter((y): y is number => y !== null && Number.isFinite(y));
  if (!v.length) return null;
  let lo = Math.min(...v);
  let hi = Math.max(...v);
  if (hi - lo < 1e-12) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
};

export const lossCurvePng = (points: readonly MetricsLine[], options: LossCurveOptions = {}): Buffer => {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 64 || height < 64)
    throw new RangeError(`lossCurvePng: expected integer width, height ≥ 64, found ${width}×${height}`);
  const png = new PNG({ width, height });
  png.data.fill(255);
  const put = (x: number, y: number, [r, g, b]: Rgb) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const o = (y * width + x) * 4;
    png.data[o] = r;
    png.data[o + 1] = g;
    png.data[o + 2] = b;
    png.data[o + 3] = 255;
  };
  const line = (x0: number, y0: number, x1: number, y1: number, ink: Rgb) => {
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let s = 0; s <= n; s++) {
      const x = Math.round(x0 + ((x1 - x0) * s) / n);
      const y = Math.round(y0 + ((y1 - y0) * s) / n);
      put(x, y, ink);
      put(x, y + 1, ink); // 2 px thick
    }
  };
  const steps = points.map((p) => p.step);
  const [s0, s1] = steps.length ? [Math.min(...steps), Math.max(...steps)] : [0, 1];
  const margin = 12;
  const panelH = Math.floor(height / 2);
  const panels: [keyof typeof INK, (p: MetricsLine) => number | null][] = [
    ['loss', (p) => p.loss],
    ['bpd', (p) => p.bitsPerDim],
  ];
  panels.forEach(([ink, get], k) => {
    const top = k * panelH + margin;
    const bottom = (k + 1) * panelH - margin;
    const left = margin;
    const right = width - margin;
    for (let g = 1; g < 4; g++) {
      const y = Math.round(top + ((bottom - top) * g) / 4);
      line(left, y, right, y, INK.grid);
    }
    line(left, bottom, right, bottom, INK.axis);
    line(left, top, left, bottom, INK.axis);
    const r = range(points.map(get));
    if (!r) return;
    const px = (step: number) => left + ((right - left) * (step - s0)) / Math.max(1, s1 - s0);
    const py = (v: number) => bottom - ((bottom - top) * (v - r[0])) / (r[1] - r[0]);
    let prev: [number, number] | null = null;
    for (const p of points) {
      const v = get(p);
      if (v === null || !Number.isFinite(v)) {
        prev = null; // a gap where the value was not finite
        continue;
      }
      const at: [number, number] = [px(p.step), py(v)];
      if (prev) line(prev[0], prev[1], at[0], at[1], INK[ink]);
      else put(Math.round(at[0]), Math.round(at[1]), INK[ink]);
      prev = at;
    }
  });
  return withSoftwareTag(PNG.sync.write(png));
};
