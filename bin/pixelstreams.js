#!/usr/bin/env node
// The `pixelstreams` command: runs the compiled CLI (dist/, built by `npm run build`, which `prepare`
// runs on install from a git clone and before `npm pack`). In development, `npm run pixelstreams`
// runs pipelines/cli.ts from the sources through tsx instead.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/pipelines/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(`error: ${fileURLToPath(cli)}: expected the compiled CLI, found no such file (run \`npm run build\` in the package)\n`);
  process.exit(1);
}
const { main } = await import(cli.href);
process.exit(await main(process.argv));
