// χ² goodness of fit, with its p-value from the regularised upper incomplete gamma function
// (series and continued fraction, as in Numerical Recipes §6.2).

const logGamma = (z: number): number => {
  // Lanczos, g = 7, n = 9
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const x = z - 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
};

/** Q(a, x) = Γ(a, x) / Γ(a): the upper regularised incomplete gamma function. */
export const gammaQ = (a: number, x: number): number => {
  if (x <= 0) return 1;
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let k = 1; k < 1000; k++) {
      term *= x / (a + k);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * Math.exp(-x + a * Math.log(x) - logGamma(a)));
  }
  let b = x + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
};

/** P(χ²_df ≥ statistic). */
export const chiSquarePValue = (statistic: number, df: number): number =>
  !Number.isFinite(statistic) ? 0 : df <= 0 ? 1 : gammaQ(df / 2, statistic / 2);

export interface ChiSquare {
  readonly statistic: number;
  readonly df: number;
  readonly pValue: number;
  /** Cells after pooling the rare ones (expected < minExpected) together. */
  readonly cells: number;
}

/**
 * Pearson's χ² of observed counts against expected counts. Cells with expected < minExpected are
 * pooled (rarest first) until the pool reaches minExpected; a cell with expected 0 and any
 * observation gives an infinite statistic.
 */
export const chiSquare = (observed: ArrayLike<number>, expected: ArrayLike<number>, minExpected = 5): ChiSquare => {
  for (let k = 0; k < expected.length; k++)
    if (!(expected[k]! > 0) && observed[k]! > 0) return { statistic: Infinity, df: expected.length - 1, pValue: 0, cells: expected.length };
  const idx = Array.from({ length: expected.length }, (_, k) => k).sort((a, b) => expected[a]! - expected[b]!);
  const cellsO: number[] = [];
  const cellsE: number[] = [];
  let poolO = 0;
  let poolE = 0;
  for (const k of idx) {
    if (expected[k]! >= minExpected) {
      cellsO.push(observed[k]!);
      cellsE.push(expected[k]!);
    } else {
      poolO += observed[k]!;
      poolE += expected[k]!;
      if (poolE >= minExpected) {
        cellsO.push(poolO);
        cellsE.push(poolE);
        poolO = 0;
        poolE = 0;
      }
    }
  }
  if (poolO > 0 || poolE > 0) {
    if (cellsE.length > 0 && poolE < minExpected) {
      cellsO[cellsO.length - 1]! += poolO;
      cellsE[cellsE.length - 1]! += poolE;
    } else {
      cellsO.push(poolO);
      cellsE.push(poolE);
    }
  }
  let statistic = 0;
  for (let k = 0; k < cellsE.length; k++) {
    const e = cellsE[k]!;
    const o = cellsO[k]!;
    statistic += e > 0 ? ((o - e) * (o - e)) / e : o > 0 ? Infinity : 0;
  }
  const df = cellsE.length - 1;
  return { statistic, df, pValue: chiSquarePValue(statistic, df), cells: cellsE.length };
};
