// Training curves on a canvas: one series against the step, axes from the data, min/max labels.

import type { MetricsLine } from '../src/metricsLog.js';

export const drawCurve = (canvas: HTMLCanvasElement, points: readonly MetricsLine[], pick: (p: MetricsLine) => number | null, colour: string): void => {
  const ctx = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  ctx.clearRect(0, 0, w, h);
  const pts = points.map((p) => [p.step, pick(p)] as const).filter((p): p is readonly [number, number] => p[1] !== null && Number.isFinite(p[1]));
  ctx.font = '22px system-ui, sans-serif';
  ctx.fillStyle = '#666';
  if (!pts.length) {
    ctx.fillText('no steps logged yet', 20, h / 2);
    return;
  }
  const left = 90, right = w - 20, top = 16, bottom = h - 36;
  const s0 = pts[0]![0], s1 = pts[pts.length - 1]![0];
  let lo = Math.min(...pts.map((p) => p[1])), hi = Math.max(...pts.map((p) => p[1]));
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  const x = (s: number) => left + ((right - left) * (s - s0)) / Math.max(1, s1 - s0);
  const y = (v: number) => bottom - ((bottom - top) * (v - lo)) / (hi - lo);
  ctx.strokeStyle = '#ccc';
  ctx.lineWidth = 1;
  ctx.strokeRect(left, top, right - left, bottom - top);
  ctx.fillText(hi.toPrecision(4), 4, top + 16);
  ctx.fillText(lo.toPrecision(4), 4, bottom);
  ctx.fillText(`step ${s0}`, left, h - 8);
  const last = `step ${s1}`;
  ctx.fillText(last, right - ctx.measureText(last).width, h - 8);
  ctx.strokeStyle = colour;
  ctx.lineWidth = 3;
  ctx.beginPath();
  pts.forEach(([s, v], k) => (k ? ctx.lineTo(x(s), y(v)) : ctx.moveTo(x(s), y(v))));
  ctx.stroke();
};
