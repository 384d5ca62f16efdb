import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY, from, lastValueFrom, Subject, throwError, toArray, concat } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMetricsLog } from '../src/metricsLog.js';
import { metricsLog, type LoggableStep } from './metricsLog.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'metrics-log-'));
  dirs.push(d);
  return d;
};
const step = (n: number, loss = 100 - n): LoggableStep => ({ metrics: { step: n, loss, bitsPerDim: loss / 200, gradNorm: 1, images: 8 }, stepMs: 5, skipped: false });
const now = () => new Date('2026-01-01T00:00:00Z');

describe('metricsLog', () => {
  it('appends one line per step and passes every event on unchanged', async () => {
    const dir = fresh();
    const events = [step(1), step(2), step(3)];
    const out = await lastValueFrom(from(events).pipe(metricsLog({ runDir: dir, now }), toArray()));
    expect(out).toEqual(events);
    expect(out[0]).toBe(events[0]);
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([1, 2, 3].map((n) => ({ step: n, loss: 100 - n, bitsPerDim: (100 - n) / 200, gradNorm: 1, images: 8, ms: 5, skipped: false, time: '2026-01-01T00:00:00.000Z' })));
  });

  it('writes each line before the next operator sees the event (a tailing reader is at most one step behind)', async () => {
    const dir = fresh();
    const seen: number[] = [];
    const src = new Subject<LoggableStep>();
    src.pipe(metricsLog({ runDir: dir })).subscribe((e) => seen.push(parseMetricsLog(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).points.at(-1)!.step - e.metrics.step));
    [1, 2, 3].forEach((n) => src.next(step(n)));
    src.complete();
    expect(seen).toEqual([0, 0, 0]);
  });

  it('non-finite values are written as null', async () => {
    const dir = fresh();
    await lastValueFrom(from([step(1, NaN)]).pipe(metricsLog({ runDir: dir })));
    expect(JSON.parse(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'))).toMatchObject({ step: 1, loss: null, bitsPerDim: null });
  });

  it('empty: no file is created', async () => {
    const dir = fresh();
    await lastValueFrom(EMPTY.pipe(metricsLog<LoggableStep>({ runDir: dir }), toArray()));
    expect(existsSync(join(dir, 'metrics.jsonl'))).toBe(false);
  });

  it('an error upstream passes through after the lines before it', async () => {
    const dir = fresh();
    await expect(lastValueFrom(concat(from([step(1)]), throwError(() => new Error('boom'))).pipe(metricsLog({ runDir: dir })))).rejects.toThrow('boom');
    expect(parseMetricsLog(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).points.map((p) => p.step)).toEqual([1]);
  });

  it('early unsubscribe: stops writing', () => {
    const dir = fresh();
    const src = new Subject<LoggableStep>();
    const sub = src.pipe(metricsLog({ runDir: dir })).subscribe();
    src.next(step(1));
    sub.unsubscribe();
    src.next(step(2));
    expect(parseMetricsLog(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).points.map((p) => p.step)).toEqual([1]);
    expect(src.observed).toBe(false);
  });

  it('a file that cannot be written is an error naming it and the step', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'blocker'), 'a file, not a folder');
    await expect(lastValueFrom(from([step(4)]).pipe(metricsLog({ runDir: join(dir, 'blocker') })))).rejects.toThrow(/blocker\/metrics\.jsonl: cannot append the metrics line of step 4/);
  });

  it('a resumed run appends; the reader keeps the newest entry of every step', async () => {
    const dir = fresh();
    await lastValueFrom(from([1, 2, 3, 4].map((n) => step(n))).pipe(metricsLog({ runDir: dir })));
    await lastValueFrom(from([3, 4, 5].map((n) => step(n, 50 - n))).pipe(metricsLog({ runDir: dir }))); // resumed from step 2
    const { points } = parseMetricsLog(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'));
    expect(points.map((p) => [p.step, p.loss])).toEqual([[1, 99], [2, 98], [3, 47], [4, 46], [5, 45]]);
  });
});

describe('parseMetricsLog', () => {
  const line = (o: object) => `${JSON.stringify(o)}\n`;
  it('ignores a partial last line (a write in progress) and names bad lines', () => {
    const text = line({ step: 1, loss: 2, bitsPerDim: 0.1 }) + 'not json\n' + line({ step: 2, loss: 'x', bitsPerDim: 0.1 }) + line({ step: 3, loss: 1, bitsPerDim: 0.05 }) + '{"step": 4, "lo';
    const r = parseMetricsLog(text, 'm.jsonl');
    expect(r.points.map((p) => p.step)).toEqual([1, 3]);
    expect(r.ignoredLines).toBe(2);
    expect(r.problems[0]).toMatch(/^m\.jsonl: line 2: expected JSON/);
    expect(r.problems[1]).toMatch(/^m\.jsonl: line 3: .*loss: expected finite number \| null, found "x"/);
  });
  it('negative control: without the restart rule the resumed steps would appear twice', () => {
    const text = [1, 2, 3, 2, 3].map((s) => line({ step: s, loss: s, bitsPerDim: s })).join('');
    expect(parseMetricsLog(text).points.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(text.trimEnd().split('\n').map((l) => JSON.parse(l).step)).toEqual([1, 2, 3, 2, 3]);
  });
});
