// The PixelRNN families (src/models/rowLstm/, diagonalBiLstm/, multiscale/) under the same
// laws, on small shapes (their recurrences are sequential: every law costs more than for PixelCNN).
// Multi-Scale is checked in its own order (its family's `order`: the small image first).

import { describe } from 'vitest';
import { familySpecArbs } from './arbitraries.js';

const arbs = familySpecArbs();
import { modelProperty, registryBuilder } from './runner.js';
import { streamSampler } from './sampler.js';
import { lawSetups } from './suite.js';
import { propertyTest } from './vitest.js';
import type { ModelLawName } from './types.js';

const setups = lawSetups();
const small = { maxHeight: 4, maxWidth: 4, maxHidden: 5 };

const families = [
  {
    name: 'Row LSTM',
    arb: arbs['row-lstm']!,
    laws: ['causality', 'channel-order', 'full-past', 'normalisation', 'sampler-agreement'] as ModelLawName[],
  },
  {
    name: 'Diagonal BiLSTM',
    arb: arbs['diagonal-bilstm']!,
    laws: ['causality', 'channel-order', 'full-past', 'normalisation', 'sampler-agreement'] as ModelLawName[],
  },
  { name: 'Multi-Scale PixelRNN', arb: arbs.multiscale!, laws: ['causality', 'normalisation', 'sampler-agreement'] as ModelLawName[] },
];

describe('PixelRNN families', () => {
  families.forEach(({ name, arb, laws }, f) => {
    laws.forEach((law, k) => {
      const setup = setups[law];
      const constraints = { ...small, ...setup.constraints, ...(law === 'channel-order' ? { channels: [3] as const } : {}) };
      propertyTest(
        `${name}: ${law} holds`,
        modelProperty(arb(constraints), setup.check, registryBuilder(setup.weights)),
        { seed: 600 + 10 * f + k, runs: 6, timeLimitMs: 15_000 },
      );
    });
    const viaStream = lawSetups(streamSampler())['sampler-agreement'];
    propertyTest(
      `${name}: the project's sampling stream follows the likelihood`,
      modelProperty(arb({ ...small, ...viaStream.constraints }), viaStream.check, registryBuilder(viaStream.weights)),
      { seed: 650 + f, runs: 4, timeLimitMs: 15_000 },
    );
  });
});
