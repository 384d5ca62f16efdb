// A terminal picture of an image being sampled: two image rows per text line with the upper half
// block ▀ (foreground = upper pixel, background = lower pixel), 24-bit colour or the 24-step grey
// ramp of 256-colour terminals. Positions not sampled yet are drawn in a dark placeholder grey.
// Pure: pixels and progress in, a string out (the CLI writes it).

import type { ImageShape } from '../model.js';

export interface LiveProgress {
  /** The last position sampled: every position up to (row, col) in raster order is filled. */
  readonly row: number;
  readonly col: number;
}

export interface LiveViewOptions {
  /** 'truecolor' (default): 24-bit colours; 'grey': the 256-colour grey ramp (232–255). */
  readonly colour?: 'truecolor' | 'grey';
  /** Progress line under the picture (default true). */
  readonly status?: boolean;
}

type Rgb = readonly [number, number, number];

const PLACEHOLDER: Rgb = [40, 40, 40];
const RESET = '\x1b[0m';

const rgbAt = (pixels: ArrayLike<number>, shape: ImageShape, i: number, j: number): Rgb => {
  const { width: W, channels: C, levels: K } = shape;
  const base = (i * W + j) * C;
  const to8 = (v: number) => Math.round((Math.min(Math.max(v, 0), K - 1) * 255) / (K - 1));
  if (C === 1) {
    const g = to8(pixels[base]!);
    return [g, g, g];
  }
  return [to8(pixels[base]!), to8(pixels[base + 1]!), to8(pixels[base + 2]!)];
};

const greyIndex = ([r, g, b]: Rgb): number => 232 + Math.round(((0.299 * r + 0.587 * g + 0.114 * b) / 255) * 23);

const fg = (c: Rgb, mode: 'truecolor' | 'grey') => (mode === 'grey' ? `\x1b[38;5;${greyIndex(c)}m` : `\x1b[38;2;${c[0]};${c[1]};${c[2]}m`);
const bg = (c: Rgb, mode: 'truecolor' | 'grey') => (mode === 'grey' ? `\x1b[48;5;${greyIndex(c)}m` : `\x1b[48;2;${c[0]};${c[1]};${c[2]}m`);

/** Render pixels (H, W, C levels) sampled up to `progress` (all of them when omitted). */
export const renderLive = (
  pixels: ArrayLike<number>,
  shape: ImageShape,
  progress?: LiveProgress,
  options: LiveViewOptions = {},
): string => {
  const { height: H, width: W } = shape;
  const mode = options.colour ?? 'truecolor';
  const filledUpTo = progress ? progress.row * W + progress.col : H * W - 1; // last filled raster index
  const colour = (i: number, j: number): Rgb => (i * W + j <= filledUpTo ? rgbAt(pixels, shape, i, j) : PLACEHOLDER);
  const lines: string[] = [];
  for (let i = 0; i < H; i += 2) {
    let line = '';
    for (let j = 0; j < W; j++) {
      const top = colour(i, j);
      line += i + 1 < H ? `${fg(top, mode)}${bg(colour(i + 1, j), mode)}▀` : `${RESET}${fg(top, mode)}▀`;
    }
    lines.push(line + RESET);
  }
  if (options.status ?? true) {
    const done = Math.min(H * W, filledUpTo + 1);
    lines.push(`${progress ? `row ${progress.row + 1}/${H}, col ${progress.col + 1}/${W}` : 'done'}  ${((100 * done) / (H * W)).toFixed(0)}%`);
  }
  return lines.join('\n');
};
