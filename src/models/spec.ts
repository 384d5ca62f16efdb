// io-ts building blocks for model specs: decoded at the boundary (CLI flags, config files,
// checkpoint manifests), so that everything inside works on a validated, typed spec. Each family's
// own codec lives in its folder (src/models/<family>/spec.ts) and is built from these.

import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { LikelihoodSpecCodec } from '../likelihoods/index.js';

/** A number codec that accepts integers passing `ok`; `name` is what error messages expect. */
export const intCodec = (name: string, ok: (n: number) => boolean) =>
  new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && Number.isInteger(u) && ok(u),
    (u, c) => (typeof u === 'number' && Number.isInteger(u) && ok(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  );

/** Sizes are bounded so that no spec can ask for more memory than a machine has. */
export const MAX_SIDE = 4096;
export const MAX_FEATURES = 16384;
export const MAX_LAYERS = 1024;

export const PositiveInt = intCodec('integer ≥ 1', (n) => n >= 1);
export const NonNegativeInt = intCodec('integer ≥ 0', (n) => n >= 0);
export const Side = intCodec(`integer in 1..${MAX_SIDE}`, (n) => n >= 1 && n <= MAX_SIDE);
export const Features = intCodec(`integer in 1..${MAX_FEATURES}`, (n) => n >= 1 && n <= MAX_FEATURES);
export const LayerCount = intCodec(`integer in 0..${MAX_LAYERS}`, (n) => n >= 0 && n <= MAX_LAYERS);
export const PositiveLayerCount = intCodec(`integer in 1..${MAX_LAYERS}`, (n) => n >= 1 && n <= MAX_LAYERS);
export const Levels = intCodec('integer in 2..65536', (n) => n >= 2 && n <= 65536);
export const Channels = t.union([t.literal(1), t.literal(3)], '1 | 3');
export const OddKernel = intCodec('odd integer in 1..63', (n) => n >= 1 && n <= 63 && n % 2 === 1);

/** Every spec's image fields and its likelihood. */
export const baseSpecFields = {
  height: Side,
  width: Side,
  channels: Channels,
  levels: Levels,
  likelihood: LikelihoodSpecCodec,
};

export const MAX_CLASSES = 65536;

/** Fields every spec may have: `classes` makes it class-conditional (the label biases every layer). */
export const optionalSpecFields = {
  classes: intCodec(`integer in 2..${MAX_CLASSES}`, (n) => n >= 2 && n <= MAX_CLASSES),
};

/** Edit distance, for "did you mean" in messages. */
const distance = (a: string, b: string): number => {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
};

/** The known key nearest to `key`, when one is close enough to be a typo. */
export const nearestKey = (key: string, known: readonly string[]): string | undefined => {
  const best = [...known].sort((x, y) => distance(key, x) - distance(key, y))[0];
  return best !== undefined && distance(key, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
};

/**
 * An object codec with exactly these fields: an unknown key (a typo) fails, naming the key and the
 * nearest known one; every field of `props` is required, and the optional ones (by default those
 * every spec may have: `classes`) may be absent.
 */
export const strictType = <P extends t.Props, O extends t.Props = typeof optionalSpecFields>(
  props: P,
  name: string,
  optional: O = optionalSpecFields as unknown as O,
): t.Type<t.TypeOf<t.TypeC<P>> & Partial<t.TypeOf<t.TypeC<O>>>, t.OutputOf<t.TypeC<P>>, unknown> => {
  const inner = t.intersection([t.type(props), t.partial(optional)], name);
  const known = [...Object.keys(props), ...Object.keys(optional)];
  return new t.Type(
    name,
    inner.is,
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, `expected an object (${name})`);
      const unknown = Object.keys(u).filter((k) => !known.includes(k));
      if (unknown.length) {
        const k = unknown[0]!;
        const near = nearestKey(k, known);
        return t.failure(u, c, `unknown key '${k}'${near ? ` (did you mean '${near}'?)` : ''}; known keys: ${known.join(', ')}`);
      }
      return E.map((v) => v as t.TypeOf<t.TypeC<P>> & Partial<t.TypeOf<t.TypeC<O>>>)(inner.validate(u, c));
    },
    inner.encode as (a: unknown) => t.OutputOf<t.TypeC<P>>,
  );
};
