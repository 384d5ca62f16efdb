// Which kernel taps and which channel groups a masked convolution may see — plain data, no tensors.
//
// Features are split into C contiguous groups (R, G, B for C = 3), as in the paper. For a kernel
// kh × kw with centre (cy, cx) = (⌊kh/2⌋, ⌊kw/2⌋): every tap in a row above the centre is allowed,
// taps left of the centre in the centre row are allowed, nothing right of or below the centre is.
// At the centre tap, output group g sees input group g' when g' < g (mask A) or g' ≤ g (mask B).

export type MaskType = 'A' | 'B';

export interface Tap {
  readonly dy: number; // row offset, ≤ 0
  readonly dx: number; // column offset
}

export interface MaskTable {
  readonly kh: number;
  readonly kw: number;
  readonly type: MaskType;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly channels: number;
  /** Off-centre taps that are fully visible, in raster order. */
  readonly pastTaps: readonly Tap[];
  /** centre[i][o] = 1 when output feature o may see input feature i at the centre tap. */
  readonly centre: readonly (readonly (0 | 1)[])[];
  /** True when at least one (i, o) pair is visible at the centre. */
  readonly centreUsed: boolean;
}

/** Channel group (0..channels-1) of feature f among n features, contiguous blocks. */
export const channelGroup = (f: number, n: number, channels: number): number =>
  Math.floor((f * channels) / n);

export const centreAllows = (type: MaskType, inGroup: number, outGroup: number): boolean =>
  type === 'A' ? inGroup < outGroup : inGroup <= outGroup;

export const maskTable = (
  kh: number,
  kw: number,
  type: MaskType,
  inFeatures: number,
  outFeatures: number,
  channels: number,
): MaskTable => {
  const cy = Math.floor(kh / 2);
  const cx = Math.floor(kw / 2);
  const pastTaps: Tap[] = [];
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++) {
      const dy = y - cy;
      const dx = x - cx;
      if (dy < 0 || (dy === 0 && dx < 0)) pastTaps.push({ dy, dx });
    }
  const centre = Array.from({ length: inFeatures }, (_, i) =>
    Array.from({ length: outFeatures }, (_, o) =>
      centreAllows(type, channelGroup(i, inFeatures, channels), channelGroup(o, outFeatures, channels))
        ? (1 as const)
        : (0 as const),
    ),
  );
  const centreUsed = centre.some((row) => row.some((v) => v === 1));
  return { kh, kw, type, inFeatures, outFeatures, channels, pastTaps, centre, centreUsed };
};

/** Dense 0/1 mask in conv2d kernel layout [kh, kw, in, out], for the dense implementation and tests. */
export const denseMask = (t: MaskTable): Float32Array => {
  const { kh, kw, inFeatures: ci, outFeatures: co } = t;
  const cy = Math.floor(kh / 2);
  const cx = Math.floor(kw / 2);
  const m = new Float32Array(kh * kw * ci * co);
  const at = (y: number, x: number, i: number, o: number) => ((y * kw + x) * ci + i) * co + o;
  for (const { dy, dx } of t.pastTaps)
    for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) m[at(cy + dy, cx + dx, i, o)] = 1;
  for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) m[at(cy, cx, i, o)] = t.centre[i]![o]!;
  return m;
};

/** Number of (tap, in, out) weights that are not masked out: the useful multiply-adds per pixel. */
export const usefulWeights = (t: MaskTable): number =>
  t.pastTaps.length * t.inFeatures * t.outFeatures +
  t.centre.reduce((s, row) => s + row.reduce<number>((a, v) => a + v, 0), 0);
