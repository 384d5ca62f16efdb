// metricsLog: appends one JSON line per training step to `<runDir>/metrics.jsonl` (format and reader
// in src/metricsLog.ts) and passes every event on unchanged. The append is synchronous (a few dozen
// bytes per step, O_APPEND), so a line is on disk before the next operator sees the event: a live
// dashboard (`pixelstreams serve`) tailing the file is at most one step behind, and a crash loses at
// most the line being written (the reader ignores a partial last line). A resumed run appends; the
// reader keeps the newest entry of every step. The file is opened on the first event and closed on
// complete, error or unsubscribe.
//
//   epochs(...).pipe(train(state), metricsLog({ runDir }), checkpointEvery(...))

import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Observable, type OperatorFunction } from 'rxjs';
import { formatMetricsLine, METRICS_FILE, type MetricsLine } from '../src/metricsLog.js';
import type { StepMetrics } from '../src/train/step.js';

export interface MetricsLogOptions {
  readonly runDir: string;
  /** File name inside runDir (default metrics.jsonl). */
  readonly file?: string;
  /** Clock for the `time` field (tests). */
  readonly now?: () => Date;
}

/** What the operator reads from an event: the step's metrics, and optionally its time and whether it was skipped. */
export interface LoggableStep {
  readonly metrics: StepMetrics;
  readonly stepMs?: number;
  readonly skipped?: boolean;
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

export const metricsLine = (e: LoggableStep, time: Date): MetricsLine => ({
  step: e.metrics.step,
  loss: finiteOrNull(e.metrics.loss),
  bitsPerDim: finiteOrNull(e.metrics.bitsPerDim),
  gradNorm: finiteOrNull(e.metrics.gradNorm),
  images: e.metrics.images,
  ...(e.stepMs !== undefined && Number.isFinite(e.stepMs) ? { ms: e.stepMs } : {}),
  ...(e.skipped !== undefined ? { skipped: e.skipped } : {}),
  time: time.toISOString(),
});

export const metricsLog =
  <T extends LoggableStep>(options: MetricsLogOptions): OperatorFunction<T, T> =>
  (source) =>
    new Observable<T>((subscriber) => {
      const path = join(options.runDir, options.file ?? METRICS_FILE);
      const now = options.now ?? (() => new Date());
      let fd: number | null = null;
      const close = () => {
        if (fd !== null) closeSync(fd);
        fd = null;
      };
      const sub = source.subscribe({
        next: (e) => {
          try {
            if (fd === null) {
              mkdirSync(options.runDir, { recursive: true });
              fd = openSync(path, 'a');
            }
            writeSync(fd, formatMetricsLine(metricsLine(e, now())));
          } catch (err) {
            close();
            subscriber.error(new Error(`${path}: cannot append the metrics line of step ${e.metrics.step} (${(err as Error).message})`));
            return;
          }
          subscriber.next(e);
        },
        error: (err) => {
          close();
          subscriber.error(err);
        },
        complete: () => {
          close();
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        close();
      };
    });
