// The stated bounds of every reader: what one input may claim before anything is allocated for it.
// A header, a manifest or a config that asks for more is an error naming the file, the field and the
// limit — never gigabytes of memory, a V8 abort or a read that never ends.

export const LIMITS = {
  /** Bytes of any one input file read whole (data files, PNGs). */
  fileBytes: 1 << 30,
  /** Bytes one data source may decode to (IDX body after gunzip, a PNG folder's pixels). */
  decodedBytes: 1 << 30,
  /** width × height of one PNG (16 Mi pixels, e.g. 4096 × 4096). */
  pngPixels: 1 << 24,
  /** Bytes of a JSON file: a run config, a checkpoint manifest. */
  jsonBytes: 16 << 20,
  /** Nesting depth of a JSON file (objects and arrays). */
  jsonDepth: 64,
  /** Values of one model's parameters (the optimizer's slots come on top). */
  parameters: 1 << 28,
} as const;

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(bytes % 2 ** 20 === 0 ? 0 : bytes < 2 ** 20 ? 3 : 2)} MiB`;
