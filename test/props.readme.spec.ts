// props/README.md's example is props/example.ts, verbatim; it compiles and runs here: the honest
// model passes every law, the cheating one is caught with a counterexample.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkMyModel } from '../props/example.js';

describe('props README example', () => {
  it('is props/example.ts, verbatim, in props/README.md and README.md', () => {
    const example = readFileSync(new URL('../props/example.ts', import.meta.url), 'utf8');
    for (const doc of ['../props/README.md', '../README.md'])
      expect(readFileSync(new URL(doc, import.meta.url), 'utf8'), doc).toContain(example.trim());
  });

  it('passes an honest model and catches a cheating one', async () => {
    const { honest, cheat, acrossShapes } = await checkMyModel();
    expect(honest).toEqual([]);
    expect(acrossShapes).toBe(true);
    expect(cheat.some((l) => /^causality: logit at \(i=0, j=0, c=0\) depends on the input at \(i=0, j=0, c=0\)/.test(l))).toBe(true);
    expect(cheat.some((l) => l.startsWith('channel-order:'))).toBe(true);
    expect(cheat.some((l) => l.startsWith('normalisation:'))).toBe(true);
  });
});
