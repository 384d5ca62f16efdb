// A vitest helper: run a property with a fixed seed and a time limit, print the run counts used.
// PROPS_SEED overrides the seed; PROPS_RUNS overrides the run count ("200") or scales it ("x4").
// Kept out of the barrel (props/index.ts): it imports vitest, which a library user may not have.

import * as E from 'fp-ts/lib/Either.js';
import { expect, it } from 'vitest';
import { runProperty, showFailure, type PropertyDef } from './runner.js';

export interface PropertyTestOptions {
  readonly seed: number;
  readonly runs: number;
  /** Stop drawing new cases after this long (default: no limit). */
  readonly timeLimitMs?: number;
}

/** The seed and run count after PROPS_SEED / PROPS_RUNS. */
export const resolveRuns = (o: PropertyTestOptions, env: NodeJS.ProcessEnv = process.env): { seed: number; runs: number } => {
  const seed = env.PROPS_SEED !== undefined && env.PROPS_SEED !== '' ? Number(env.PROPS_SEED) : o.seed;
  const r = env.PROPS_RUNS ?? '';
  const runs = r.startsWith('x') ? Math.max(1, Math.round(o.runs * Number(r.slice(1)))) : r !== '' ? Number(r) : o.runs;
  if (!Number.isInteger(seed)) throw new Error(`PROPS_SEED: expected an integer, found '${env.PROPS_SEED}'`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`PROPS_RUNS: expected an integer ≥ 1 or 'xN', found '${env.PROPS_RUNS}'`);
  return { seed, runs };
};

/** Register a vitest test that runs the property and fails with the smallest counterexample. */
export const propertyTest = <T>(name: string, property: PropertyDef<T>, o: PropertyTestOptions, timeoutMs = 120_000): void => {
  it(name, async () => {
    const { seed, runs } = resolveRuns(o);
    const r = await runProperty(property, { seed, runs, timeLimitMs: o.timeLimitMs });
    if (E.isLeft(r)) {
      console.log(`[props] ${name}: FAILED (seed ${seed}, runs ${r.left.runs}/${runs})`);
      expect.fail(showFailure(r.left));
    }
    const s = r.right;
    console.log(
      `[props] ${name}: ${s.runs}/${runs} runs, seed ${seed}, ${s.ms} ms${s.interrupted ? ' (time limit reached)' : ''}`,
    );
    expect(s.runs).toBeGreaterThan(0);
  }, timeoutMs);
};
