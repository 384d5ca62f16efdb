// The checkpoint manifest (model.json): the TensorFlow.js weights-manifest layout (a list of groups,
// each naming its binary files and the tensors they hold, in order) plus a `pixelstreams` section
// with everything needed to resume exactly. Decoded with io-ts at load time, so a damaged or
// hand-edited manifest is an error naming the field, never a crash further in.

import * as t from 'io-ts';
import { NonNegativeInt } from '../models/spec.js';

export const CHECKPOINT_FORMAT = 'pixelstreams-checkpoint';
export const CHECKPOINT_VERSION = 2; // 2: specs name their likelihood (was `head`)
export const WEIGHTS_FILE = 'weights.bin';
export const MANIFEST_FILE = 'model.json';

/** A plain file name inside the checkpoint folder (no directories, no `..`). */
const PlainFileName = new t.Type<string, string, unknown>(
  'plain file name',
  (u): u is string => typeof u === 'string' && /^[^/\\]+$/.test(u) && u !== '.' && u !== '..',
  (u, c) => (typeof u === 'string' && /^[^/\\]+$/.test(u) && u !== '.' && u !== '..' ? t.success(u) : t.failure(u, c)),
  t.identity,
);

export const Sha256Hex = new t.Type<string, string, unknown>(
  'sha256 hex digest (64 hex digits)',
  (u): u is string => typeof u === 'string' && /^[0-9a-f]{64}$/.test(u),
  (u, c) => (typeof u === 'string' && /^[0-9a-f]{64}$/.test(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);

export const WeightEntryCodec = t.type({
  name: t.string,
  shape: t.array(NonNegativeInt),
  dtype: t.literal('float32'),
});
export type WeightEntry = t.TypeOf<typeof WeightEntryCodec>;

export const WeightsGroupCodec = t.type({
  paths: t.array(PlainFileName),
  weights: t.array(WeightEntryCodec),
});

export const ManifestCodec = t.type({
  format: t.literal(CHECKPOINT_FORMAT),
  version: t.literal(CHECKPOINT_VERSION),
  weightsManifest: t.array(WeightsGroupCodec),
  pixelstreams: t.type({
    /** Decoded separately with decodeSpec (it has rules a codec cannot express). */
    spec: t.unknown,
    /** Decoded separately with OptimizerConfigCodec plus a finiteness check. */
    optimizer: t.unknown,
    step: NonNegativeInt,
    /** Caller's data: training config, seeds, RNG states, data position. */
    run: t.unknown,
    checksum: Sha256Hex,
    createdAt: t.string,
  }),
});
export type Manifest = t.TypeOf<typeof ManifestCodec>;
