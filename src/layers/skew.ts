// Skew and unskew (van den Oord et al. 2016, §3.2, Figure 3): the Diagonal BiLSTM shifts row r of an
// H×W map r positions to the right, so that a diagonal of the image becomes a column of the skewed
// H×(W+H−1) map and one column-wise step of the recurrence processes one diagonal.
//
//   x:        a b c          skew(x):  a b c . .
//             d e f                    . d e f .
//             g h i                    . . g h i
//
// Both are written with pad / reshape / slice only (no gather), so they have gradients on every
// backend. The trick: pad every row on the right by H zeros (row length W+H), flatten, and read the
// same buffer back with rows one element shorter (W+H−1): row r then starts r elements earlier in
// its own padded row, i.e. shifted right by r, and what wraps around is padding.

import { tf, type Tensor4D } from '../tf.js';

/** [B, H, W, C] → [B, H, W+H−1, C], row r shifted right by r, zeros elsewhere. */
export const skew = (x: Tensor4D): Tensor4D =>
  tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const padded = tf.pad(x, [[0, 0], [0, 0], [0, h], [0, 0]]); //         [B, H, W+H, C]
    const flat = tf.reshape(padded, [b, h * (w + h), c]); //                  [B, H·(W+H), C]
    const cut = tf.slice(flat, [0, 0, 0], [b, h * (w + h - 1), c]); //        [B, H·(W+H−1), C]
    return tf.reshape(cut, [b, h, w + h - 1, c]) as Tensor4D; //              [B, H, W+H−1, C]
  });

/** [B, H, W+H−1, C] → [B, H, W, C]: the inverse of skew on its image (row r read from column r). */
export const unskew = (s: Tensor4D, width: number): Tensor4D =>
  tf.tidy(() => {
    const [b, h, sw, c] = s.shape;
    if (sw !== width + h - 1) throw new Error(`unskew: expected ${width + h - 1} columns for width ${width}, found ${sw}`);
    const flat = tf.reshape(s, [b, h * sw, c]); //                            [B, H·(W+H−1), C]
    const padded = tf.pad(flat, [[0, 0], [0, h], [0, 0]]); //                 [B, H·(W+H), C]
    const rows = tf.reshape(padded, [b, h, sw + 1, c]); //                    [B, H, W+H, C]
    return tf.slice(rows, [0, 0, 0, 0], [b, h, width, c]) as Tensor4D; //     [B, H, W, C]
  });

/** Mirror left–right: column j becomes column W−1−j. [B, H, W, C] */
export const mirror = (x: Tensor4D): Tensor4D => tf.tidy(() => tf.reverse(x, 2) as Tensor4D);

/** Shift down one row: row i takes row i−1, row 0 becomes zeros. [B, H, W, C] */
export const shiftDown = (x: Tensor4D): Tensor4D =>
  tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const padded = tf.pad(x, [[0, 0], [1, 0], [0, 0], [0, 0]]); //           [B, H+1, W, C]
    return tf.slice(padded, [0, 0, 0, 0], [b, h, w, c]) as Tensor4D; //       [B, H, W, C]
  });

/** Shift right one column: column j takes column j−1, column 0 becomes zeros. [B, H, W, C] */
export const shiftRight = (x: Tensor4D): Tensor4D =>
  tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const padded = tf.pad(x, [[0, 0], [0, 0], [1, 0], [0, 0]]); //           [B, H, W+1, C]
    return tf.slice(padded, [0, 0, 0, 0], [b, h, w, c]) as Tensor4D; //       [B, H, W, C]
  });

/**
 * The skew of the mirrored map, mirrored back — row r shifted right by H−1−r — without a Reverse
 * (slow on wasm): pad each row with H−1 zeros on both sides (length L = W+2H−2), flatten, and read it
 * back with rows one element LONGER, so row r starts r elements later. skewReverse(x) equals
 * mirror(skew(mirror(x))). [B, H, W, C] → [B, H, W+H−1, C]
 */
export const skewReverse = (x: Tensor4D): Tensor4D =>
  tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const len = w + 2 * h - 2;
    const padded = tf.pad(x, [[0, 0], [0, 0], [h - 1, h - 1], [0, 0]]); //     [B, H, L, C]
    const flat = tf.pad(tf.reshape(padded, [b, h * len, c]), [[0, 0], [0, h], [0, 0]]); // [B, H·(L+1), C]
    const rows = tf.reshape(flat, [b, h, len + 1, c]); //                      [B, H, L+1, C]
    return tf.slice(rows, [0, 0, 0, 0], [b, h, w + h - 1, c]) as Tensor4D; //  [B, H, W+H−1, C]
  });

/** The inverse of skewReverse on its image: pixel (r, j) read from column j+H−1−r. [B, H, W, C] */
export const unskewReverse = (s: Tensor4D, width: number): Tensor4D =>
  tf.tidy(() => {
    const [b, h, sw, c] = s.shape;
    if (sw !== width + h - 1)
      throw new Error(`unskewReverse: expected ${width + h - 1} columns for width ${width}, found ${sw}`);
    const padded = tf.pad(s, [[0, 0], [0, 0], [0, 1], [0, 0]]); //              [B, H, W'+1, C]
    const flat = tf.slice(tf.reshape(padded, [b, h * (sw + 1), c]), [0, 0, 0], [b, h * sw, c]); // [B, H·W', C]
    const rows = tf.reshape(flat, [b, h, sw, c]); //                            [B, H, W', C], row r shifted left by r
    return tf.slice(rows, [0, 0, h - 1, 0], [b, h, width, c]) as Tensor4D; //   [B, H, W, C]
  });
