// Weight layouts shared by the causal-conv kernels' callers (causalConv.ts, winograd.ts).

/** Per tap, [C, O] → [O, C]: the weights of an input gradient. Offsets are in floats. */
export const transposeTaps = (from: Float32Array, fromAt: number, to: Float32Array, toAt: number, taps: number, inC: number, outC: number): void => {
  for (let k = 0; k < taps; k++)
    for (let i = 0; i < inC; i++)
      for (let o = 0; o < outC; o++) to[toAt + (k * outC + o) * inC + i] = from[fromAt + (k * inC + i) * outC + o]!;
};
