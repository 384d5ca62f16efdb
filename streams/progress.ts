// Show training or evaluation progress: a live bar (cli-progress) on a terminal, a plain line every
// few seconds otherwise (CI logs).

import { SingleBar, Presets } from 'cli-progress';
import { defer, finalize, tap, type MonoTypeOperatorFunction } from 'rxjs';

export interface ProgressOptions<T> {
  /** The position that ends the bar: a number, or read from each value (a total that becomes known on the way). */
  readonly total: number | ((value: T) => number);
  readonly label: string;
  /** Position reached by a value (e.g. the step). */
  readonly position: (value: T) => number;
  /** Figures to show, e.g. { loss: '81.3', 'bits/dim': '0.15' }. */
  readonly figures: (value: T) => Record<string, string>;
  readonly stream?: NodeJS.WriteStream;
  /** Force plain lines even on a terminal (tests, --no-progress uses `enabled: false`). */
  readonly plain?: boolean;
  readonly enabled?: boolean;
  readonly plainEveryMs?: number;
}

/**
 * Emits every source value unchanged, drawing it as it passes: on a terminal a live bar at
 * `position(value)` of `total` (or of `total(value)`, the bar resized when it changes) with `figures(value)`; elsewhere (or `plain`) one line every
 * `plainEveryMs` (default 5000), always the first value's and the one that reaches `total`. Nothing
 * is drawn before subscription. Completes and errors as the source does (the error unchanged);
 * on complete, error and unsubscribe alike the bar is stopped (its last state drawn, the cursor
 * shown again). Unsubscribing unsubscribes from the source. `enabled: false` only passes values on.
 */
export const progress =
  <T>(options: ProgressOptions<T>): MonoTypeOperatorFunction<T> =>
  (source) =>
    defer(() => {
      if (options.enabled === false) return source;
      const stream = options.stream ?? process.stderr;
      const live = !options.plain && stream.isTTY === true;
      const render = (v: T) =>
        Object.entries(options.figures(v))
          .map(([k, s]) => `${k} ${s}`)
          .join('  ');
      const bar = live
        ? new SingleBar(
            { format: `${options.label} {bar} {value}/{total} {figures} | {duration_formatted} elapsed, eta {eta_formatted}`, stream, hideCursor: true },
            Presets.shades_classic,
          )
        : null;
      const totalOf = (v: T) => (typeof options.total === 'function' ? options.total(v) : options.total);
      let total = typeof options.total === 'function' ? undefined : options.total;
      bar?.start(total ?? 0, 0, { figures: '' });
      let lastLine = 0;
      const started = Date.now();
      return source.pipe(
        tap((v) => {
          const at = options.position(v);
          const now = totalOf(v);
          if (bar && now !== total) bar.setTotal(now);
          total = now;
          if (bar) bar.update(at, { figures: render(v) });
          else if (Date.now() - lastLine >= (options.plainEveryMs ?? 5000) || at >= now) {
            lastLine = Date.now();
            stream.write(`${options.label} ${at}/${now} ${render(v)} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
          }
        }),
        finalize(() => bar?.stop()),
      );
    });
