// End of training: read <run>/metrics.jsonl and write <run>/loss.png (atomically). The lead's
// train pipeline calls this beside writeGrid(samples.png) and puts the path in report.json.

import * as E from 'fp-ts/lib/Either.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/fsAtomic.js';
import { lossCurvePng } from '../src/lossCurve.js';
import { METRICS_FILE, parseMetricsLog } from '../src/metricsLog.js';

export const LOSS_CURVE_FILE = 'loss.png';

export const writeLossCurve = (runDir: string, file = LOSS_CURVE_FILE): E.Either<Error, string> => {
  const log = join(runDir, METRICS_FILE);
  if (!existsSync(log)) return E.left(new Error(`${log}: expected the training metrics log, found no such file`));
  const { points, problems } = parseMetricsLog(readFileSync(log, 'utf8'), log);
  if (!points.length) return E.left(new Error(`${log}: expected at least one step, found none${problems.length ? ` (${problems[0]})` : ''}`));
  return writeFileAtomic(join(runDir, file), lossCurvePng(points));
};
