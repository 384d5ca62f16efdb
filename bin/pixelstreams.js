#!/usr/bin/env node
// The `pixelstreams` command: runs the compiled CLI (dist/, built by `npm run build`, which `prepare`
// runs on install from a git clone and before `npm pack`). In development, `npm run pixelstreams`
// runs pipelines/cli.ts from the sources through tsx instead.
import { main } from '../dist/pipelines/cli.js';

process.exit(await main(process.argv));
