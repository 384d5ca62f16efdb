// The JSON report written at the end of every run, atomically, next to its outputs.

import * as E from 'fp-ts/lib/Either.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/fsAtomic.js';

/** The version in our package.json: one folder up from pipelines/report.ts, two from dist/pipelines/report.js. */
export const packageVersion = (): string => {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pixelstreams' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not this folder: try the next
    }
  }
  return 'unknown';
};

export const writeReport = (dir: string, name: string, report: Record<string, unknown>): E.Either<Error, string> =>
  writeFileAtomic(
    join(dir, name),
    `${JSON.stringify({ pixelstreams: packageVersion(), node: process.version, createdAt: new Date().toISOString(), ...report }, null, 2)}\n`,
  );
