import { concatMap, defer, from, toArray, type OperatorFunction } from 'rxjs';
import { permutation } from '../src/rng.js';

/** Emit items[perm[0]], items[perm[1]], … lazily (stops when the subscriber unsubscribes). */
function* permuted<T>(items: readonly T[], perm: Uint32Array): Generator<T> {
  for (const i of perm) yield items[i]!;
}

/**
 * Buffer a FINITE stream, then re-emit it in the seeded order permutation(n, seed, stream).
 * Same seed and same input → same output order.
 *
 * Emits nothing until the source completes, then every item, lazily, and completes (an empty source
 * completes empty). A source error passes through and nothing is emitted. Unsubscribing before the
 * source completes unsubscribes from it; during re-emission it stops the generator.
 */
export const shuffle =
  <T>(seed: number, stream = 0): OperatorFunction<T, T> =>
  (source) =>
    source.pipe(
      toArray(),
      concatMap((items) => defer(() => from(permuted(items, permutation(items.length, seed, stream))))),
    );
