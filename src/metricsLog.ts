// The training metrics log: `<run>/metrics.jsonl`, one JSON object per training step, appended as
// training runs (streams/metricsLog.ts writes it; `serve` and the loss-curve picture read it).
// Pure: a line codec and a reader of the whole text. The reader is built for a file that is still
// being written and for resumed runs:
//   - a last line without its newline is a write in progress: ignored (not an error);
//   - a step ≤ an earlier step means the run restarted from an earlier checkpoint: the entries
//     from that step on are replaced by the new ones, so every step appears once, in order;
//   - a line that does not decode is counted and named (line number and why), never thrown.

import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { formatValidationErrors } from './data/errors.js';

export const METRICS_FILE = 'metrics.jsonl';

const Finite = new t.Type<number, number, unknown>(
  'finite number',
  (u): u is number => typeof u === 'number' && Number.isFinite(u),
  (u, c) => (typeof u === 'number' && Number.isFinite(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);
const StepNumber = new t.Type<number, number, unknown>(
  'integer ≥ 1',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 1,
  (u, c) => (typeof u === 'number' && Number.isInteger(u) && u >= 1 ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/** One line of the log. `loss` is nats per image, `bitsPerDim` its per-dimension bits, `ms` the step's time. */
export const MetricsLineCodec = t.intersection([
  t.type({ step: StepNumber, loss: t.union([Finite, t.null]), bitsPerDim: t.union([Finite, t.null]) }),
  t.partial({ gradNorm: t.union([Finite, t.null]), images: Finite, ms: Finite, skipped: t.boolean, time: t.string }),
]);
export type MetricsLine = t.TypeOf<typeof MetricsLineCodec>;

/** A line of text for one step (JSON turns NaN/±Infinity into null; a skipped step's loss may be that). */
export const formatMetricsLine = (line: MetricsLine): string => `${JSON.stringify(line)}\n`;

export interface MetricsLogContents {
  /** One entry per step, ascending. */
  readonly points: MetricsLine[];
  /** Lines that did not decode: `line N: why` (at most 10 kept). */
  readonly problems: string[];
  readonly ignoredLines: number;
}

export const parseMetricsLog = (text: string, file = METRICS_FILE): MetricsLogContents => {
  const points: MetricsLine[] = [];
  const problems: string[] = [];
  let ignored = 0;
  const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1); // drop a partial last line
  const lines = complete.split('\n');
  lines.pop(); // after the final newline
  lines.forEach((raw, n) => {
    if (raw.trim() === '') return;
    let u: unknown;
    try {
      u = JSON.parse(raw);
    } catch (e) {
      ignored++;
      if (problems.length < 10) problems.push(`${file}: line ${n + 1}: expected JSON, found a parse error (${(e as Error).message})`);
      return;
    }
    const d = MetricsLineCodec.decode(u);
    if (E.isLeft(d)) {
      ignored++;
      if (problems.length < 10) problems.push(`${file}: line ${n + 1}: ${formatValidationErrors(d.left)}`);
      return;
    }
    const line = d.right;
    // A restart: drop what the earlier attempt logged from this step on.
    while (points.length && points[points.length - 1]!.step >= line.step) points.pop();
    points.push(line);
  });
  return { points, problems, ignoredLines: ignored };
};
