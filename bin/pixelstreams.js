#!/usr/bin/env node
// The `pixelstreams` command: runs the TypeScript CLI through tsx (a dependency), no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../pipelines/cli.ts');
process.exit(await main(process.argv));
