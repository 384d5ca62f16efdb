import { EMPTY, Subject, concat, from, lastValueFrom, of, take, throwError, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { progress, type ProgressOptions } from './progress.js';

interface Step {
  readonly step: number;
  readonly loss: number;
}

/** A stream that records what is written to it; a terminal if `tty`. */
const sink = (tty: boolean) => {
  const chunks: string[] = [];
  const stream = { isTTY: tty, columns: 120, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join(''), chunks };
};

const SHOW_CURSOR = '\x1B[?25h';
const HIDE_CURSOR = '\x1B[?25l';
const steps = (n: number): Step[] => Array.from({ length: n }, (_, i) => ({ step: i + 1, loss: 10 - i }));
const options = (stream: NodeJS.WriteStream, more: Partial<ProgressOptions<Step>> = {}): ProgressOptions<Step> => ({
  total: 4,
  label: 'train',
  position: (v) => v.step,
  figures: (v) => ({ loss: v.loss.toFixed(1) }),
  stream,
  ...more,
});

describe('progress', () => {
  it('passes every value through unchanged; off a terminal, one plain line per value at plainEveryMs 0', async () => {
    const out = sink(false);
    const values = steps(4);
    const got = await lastValueFrom(from(values).pipe(progress(options(out.stream, { plainEveryMs: 0 })), toArray()));
    expect(got).toEqual(values);
    got.forEach((v, i) => expect(v).toBe(values[i]));
    expect(out.chunks.map((l) => l.replace(/\(\d+ s\)/, '(t)'))).toEqual([
      'train 1/4 loss 10.0 (t)\n',
      'train 2/4 loss 9.0 (t)\n',
      'train 3/4 loss 8.0 (t)\n',
      'train 4/4 loss 7.0 (t)\n',
    ]);
  });

  it('plain lines are throttled, but the first value and the one reaching total always print', async () => {
    const out = sink(false);
    await lastValueFrom(from(steps(4)).pipe(progress(options(out.stream, { plainEveryMs: 60_000 }))));
    expect(out.chunks.map((l) => l.split(' (')[0])).toEqual(['train 1/4 loss 10.0', 'train 4/4 loss 7.0']);
  });

  it('a total read from each value (an end that becomes known on the way) is what lines and the bar show', async () => {
    // Steps 1–2 know no end (1e9); from step 3 on the end is step 5, as a time-limited schedule fixes it.
    const totalOf = (v: Step) => (v.step < 3 ? 1e9 : 5);
    const out = sink(false);
    await lastValueFrom(from(steps(5)).pipe(progress(options(out.stream, { plainEveryMs: 60_000, total: totalOf }))));
    expect(out.chunks.map((l) => l.split(' (')[0])).toEqual(['train 1/1000000000 loss 10.0', 'train 5/5 loss 6.0']);
    const tty = sink(true);
    await lastValueFrom(from(steps(5)).pipe(progress(options(tty.stream, { total: totalOf }))));
    expect(tty.text()).toMatch(/5\/5 loss 6\.0/);
    // Negative control: a fixed total never shows the end that was learnt.
    const fixed = sink(true);
    await lastValueFrom(from(steps(5)).pipe(progress(options(fixed.stream, { total: 1e9 }))));
    expect(fixed.text()).not.toMatch(/5\/5 /);
  });

  it('on a terminal draws a live bar with the figures, and stops it on complete', async () => {
    const out = sink(true);
    const sigint = process.listenerCount('SIGINT');
    const src = from(steps(4)).pipe(progress(options(out.stream)));
    expect(out.text()).toBe(''); // nothing before subscription
    await lastValueFrom(src);
    expect(out.text()).toContain(HIDE_CURSOR);
    expect(out.text()).toMatch(/train .* 4\/4 loss 7\.0/);
    expect(out.text().lastIndexOf(SHOW_CURSOR)).toBeGreaterThan(out.text().lastIndexOf('4/4'));
    expect(process.listenerCount('SIGINT')).toBe(sigint); // the bar's signal handler is gone
    // `plain` forces lines on a terminal
    const plain = sink(true);
    await lastValueFrom(from(steps(1)).pipe(progress(options(plain.stream, { plain: true }))));
    expect(plain.chunks.map((l) => l.split(' (')[0])).toEqual(['train 1/4 loss 10.0']);
  });

  it('empty input completes empty (a bar is started and stopped; plain mode writes nothing)', async () => {
    const tty = sink(true);
    expect(await lastValueFrom(EMPTY.pipe(progress(options(tty.stream)), toArray()))).toEqual([]);
    expect(tty.text()).toContain(SHOW_CURSOR);
    const plain = sink(false);
    expect(await lastValueFrom(EMPTY.pipe(progress(options(plain.stream)), toArray()))).toEqual([]);
    expect(plain.chunks).toEqual([]);
  });

  it('a source error passes through unchanged, after the values before it, and stops the bar', async () => {
    const out = sink(true);
    const boom = new Error('boom');
    const got: Step[] = [];
    const error = await new Promise<unknown>((resolve) =>
      concat(of(...steps(2)), throwError(() => boom))
        .pipe(progress(options(out.stream)))
        .subscribe({ next: (v) => got.push(v), error: resolve, complete: () => resolve(null) }),
    );
    expect(error).toBe(boom);
    expect(got.map((v) => v.step)).toEqual([1, 2]);
    expect(out.text()).toContain(SHOW_CURSOR);
    // and an error thrown by `figures` ends the stream with that error
    const failing = progress(options(sink(false).stream, { figures: () => { throw new Error('no figures'); } }));
    await expect(lastValueFrom(of(...steps(1)).pipe(failing))).rejects.toThrow('no figures');
  });

  it('early unsubscribe tears down the source and stops the bar', () => {
    const out = sink(true);
    const s = new Subject<Step>();
    const got: number[] = [];
    s.pipe(progress(options(out.stream)), take(2)).subscribe((v) => got.push(v.step));
    s.next(steps(1)[0]!);
    expect(out.text()).not.toContain(SHOW_CURSOR); // running
    s.next(steps(2)[1]!);
    expect(got).toEqual([1, 2]);
    expect(s.observed).toBe(false);
    expect(out.text()).toContain(SHOW_CURSOR);
  });

  it('enabled: false passes the values on and writes nothing', async () => {
    const out = sink(true);
    expect(await lastValueFrom(from(steps(3)).pipe(progress(options(out.stream, { enabled: false })), toArray()))).toEqual(steps(3));
    expect(out.chunks).toEqual([]);
  });
});
