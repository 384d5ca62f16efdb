// A bound on every number of a model spec, checked before anything is computed from it. Computing a
// spec's parameter shapes is not free for every family (a masked convolution's shapes come from its
// mask table, in × out entries), so an absurd width in a config or a checkpoint manifest must be
// stopped here, before `familyOf(spec).shapes(spec)` runs. Family-blind: it walks the spec's fields.

import { LIMITS } from '../data/limits.js';

/** Largest value of any integer field of a spec other than the image's own size. */
export const MAX_SPEC_FIELD = 2048;
/** Largest kernel side (fields named …kernel / …Kernel). */
export const MAX_KERNEL = 63;
/** Fields bounded by the data instead (the image size; levels by the spec codec). */
const IMAGE_FIELDS = new Set(['height', 'width', 'levels']);
const MAX_SIDE = Math.sqrt(LIMITS.pngPixels);

/** `path: expected at most N, found v` for every number of `u` (nested) beyond its bound. */
export const specBoundErrors = (u: unknown, prefix = ''): string[] => {
  const errs: string[] = [];
  const stack: [unknown, string, number][] = [[u, prefix, 0]];
  while (stack.length) {
    const [v, path, depth] = stack.pop()!;
    if (depth > 8) {
      errs.push(`${path || '(root)'}: expected a spec nested at most 8 deep, found deeper`);
      continue;
    }
    if (typeof v === 'number') {
      const key = path.split('.').pop() ?? '';
      const max = IMAGE_FIELDS.has(key) ? (key === 'levels' ? 65536 : MAX_SIDE) : /kernel$/i.test(key) ? MAX_KERNEL : MAX_SPEC_FIELD;
      if (v > max) errs.push(`${path}: expected at most ${max}, found ${v}`);
    } else if (typeof v === 'object' && v !== null)
      for (const [k, x] of Object.entries(v)) stack.push([x, path ? `${path}.${k}` : k, depth + 1]);
  }
  return errs;
};
