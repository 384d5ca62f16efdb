// The README's code example is examples/compose.ts, verbatim; it compiles (npm test type-checks it)
// and runs here for a few steps.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeExample } from '../examples/compose.js';

describe('README example', () => {
  it('is examples/compose.ts, verbatim', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../examples/compose.ts', import.meta.url), 'utf8');
    expect(readme).toContain(example.trim());
  });

  it('trains, evaluates and samples', async () => {
    const { bitsPerDim, samples } = await composeExample(3);
    expect(bitsPerDim).toBeGreaterThan(0);
    expect(bitsPerDim).toBeLessThan(1.2);
    expect(samples).toHaveLength(4);
    expect(samples[0]).toHaveLength(28 * 28);
  });
});
