// `npm run pretrain -- NAME [NAME…]`: build the shipped pretrained model(s) NAME from their recipes
// (pipelines/pretrained.ts): train into runs/pretrain/NAME (resuming), then write pretrained/NAME.
// With no name, lists the recipes.
import * as E from 'fp-ts/lib/Either.js';
import { buildPretrained, PRETRAINED_RECIPES } from '../pipelines/pretrained.js';

const names = process.argv.slice(2);
if (names.length === 0) {
  process.stderr.write(`usage: npm run pretrain -- NAME [NAME…]; recipes:\n${PRETRAINED_RECIPES.map((r) => `  ${r.name}: pixelstreams train ${r.train.join(' ')}`).join('\n')}\n`);
  process.exit(2);
}
for (const name of names) {
  const r = await buildPretrained(name);
  if (E.isLeft(r)) {
    process.stderr.write(`error: ${r.left.message}\n`);
    process.exit(1);
  }
}
process.exit(0);
