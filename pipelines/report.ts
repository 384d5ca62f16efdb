// The JSON report written at the end of every run, atomically, next to its outputs.

import * as E from 'fp-ts/lib/Either.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/fsAtomic.js';

export const packageVersion = (): string => {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

export const writeReport = (dir: string, name: string, report: Record<string, unknown>): E.Either<Error, string> =>
  writeFileAtomic(
    join(dir, name),
    `${JSON.stringify({ pixelstreams: packageVersion(), node: process.version, createdAt: new Date().toISOString(), ...report }, null, 2)}\n`,
  );
