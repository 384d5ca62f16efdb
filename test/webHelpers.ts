// Helpers for the browser tests: Chromium from the system (Debian's package), raw HTTP requests
// (paths sent exactly as written: no client-side normalisation of `..`), Node-side sampling of a
// run's checkpoint for comparison, a fingerprint of a folder, and a plain static file server.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as O from 'fp-ts/lib/Option.js';
import { chromium, type BrowserContext } from 'playwright-core';
import { lastValueFrom, toArray } from 'rxjs';
import { bindModel, loadLatestCheckpoint, sample, type SampleEvent } from '../index.js';
import type { SampleOptions } from '../src/sampling/types.js';

export const CHROMIUM = process.env.PIXELSTREAMS_CHROMIUM ?? '/usr/bin/chromium';

/** A fresh headless Chromium profile; fails (does not skip) when the browser is missing. */
export const launchChromium = async (executable = CHROMIUM): Promise<BrowserContext> => {
  if (!existsSync(executable))
    throw new Error(
      `${executable}: expected Chromium for the browser tests, found no such file. Install it with ` +
        '`apt-get update && apt-get install -y chromium` (Debian/Ubuntu; .ci/run does this), or set PIXELSTREAMS_CHROMIUM to a Chromium binary.',
    );
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'pixelstreams-chromium-')), {
    executablePath: executable,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
  });
};

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request with the path exactly as given. */
export const raw = (base: string, path: string, init: { method?: string; body?: Uint8Array; headers?: Record<string, string> } = {}): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const u = new URL(base);
    const req = request({ host: u.hostname, port: u.port, path, method: init.method ?? 'GET', headers: init.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(init.body);
  });

export interface NodeSample {
  readonly images: number[][];
  readonly probabilities: number[];
  readonly values: number;
}

/** Sample the run's latest checkpoint in Node on the current backend, as the page does. */
export const nodeSample = async (runDir: string, options: SampleOptions): Promise<NodeSample> => {
  const loaded = loadLatestCheckpoint(runDir);
  if (E.isLeft(loaded)) throw loaded.left;
  if (O.isNone(loaded.right)) throw new Error(`${runDir}: no checkpoint`);
  const { params, slots, spec } = loaded.right.value.contents;
  Object.values(slots).forEach((x) => x.dispose());
  try {
    const events: SampleEvent[] = await lastValueFrom(sample(bindModel(spec, params, { convImpl: 'gather' }), options).pipe(toArray()));
    const images: number[][] = [];
    const probabilities: number[] = [];
    for (const e of events) {
      if (e.kind === 'image') images[e.image] = [...e.pixels];
      if (e.kind === 'value') probabilities.push(e.probability);
    }
    return { images, probabilities, values: probabilities.length };
  } finally {
    Object.values(params).forEach((x) => x.dispose());
  }
};

/** Every file under `dir` (relative path → sha256 and size): equal fingerprints, unchanged folder. */
export const fingerprint = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const s = statSync(p, { throwIfNoEntry: false });
      if (!s) continue;
      if (s.isDirectory()) walk(p, `${rel}${name}/`);
      else out[`${rel}${name}`] = `${s.size}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    }
  };
  walk(dir, '');
  return out;
};

/** Python's http.server on a free port: a file server that knows nothing of pixelstreams. */
export const plainFileServer = (dir: string): Promise<{ url: string; proc: ChildProcess }> =>
  new Promise((resolve, reject) => {
    const proc = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`python3 -m http.server did not start: ${out}`)), 10_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /port (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${m[1]}/`, proc });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`python3 -m http.server: ${e.message}`));
    });
  });
