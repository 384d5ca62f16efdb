// `serve` left running: a client that leaves stops its job and frees the sampler's tensors; a client
// that stops reading stalls its job with bounded memory; jobs are bounded (503); bad parameters and
// traversal attempts get a 4xx with a message and change nothing. Node only (no browser needed).

import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import * as O from 'fp-ts/lib/Option.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bindModel, disposeAll, loadLatestCheckpoint, sample, tf } from '../index.js';
import { serveRun, type ServeHandle } from '../pipelines/serve.js';
import { encodePngGrid } from '../src/data/png.js';
import { makeWebRun, WEB_SHAPE } from './webFixture.js';
import { fingerprint, raw } from './webHelpers.js';

let root = '';
let runDir = '';
let server: ServeHandle;
let data: Uint8Array[] = [];

const waitFor = async (what: string, check: () => boolean, ms = 20_000) => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** A client that sends a request and then never reads. */
const stalledClient = (url: string, path: string): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const u = new URL(url);
    const s = connect(Number(u.port), u.hostname, () => {
      s.pause(); // never read: the kernel's buffers fill, then the server's writes report backpressure
      s.write(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`);
      resolve(s);
    });
    s.on('error', reject);
  });

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pixelstreams-serve-'));
  runDir = join(root, 'tiny-run');
  data = (await makeWebRun(runDir)).data.records.slice(0, 4).map((r) => r.pixels);
  server = await serveRun({ runDir, dataImages: async () => data });
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('serve', () => {
  it('binds 127.0.0.1 by default', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('a client that disconnects mid-stream stops its job; the tensor count returns to its baseline', async () => {
    await (await fetch(`${server.url}runs/tiny-run/sample?count=1`)).text(); // warm: lazily created tensors exist
    const baseline = tf.memory().numTensors;
    const abort = new AbortController();
    const res = await fetch(`${server.url}runs/tiny-run/sample?count=64&seed=2`, { signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while ((text.match(/"kind":"value"/g)?.length ?? 0) < 200) text += new TextDecoder().decode((await reader.read()).value);
    expect(server.jobs()).toHaveLength(1);
    const during = tf.memory().numTensors;
    expect(during).toBeGreaterThan(baseline); // the measure sees the sampler's and checkpoint's tensors
    abort.abort();
    await waitFor('the job to end', () => server.jobs().length === 0);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('a client that stops reading stalls its job with bounded buffering; leaving then frees it', async () => {
    // Loopback sockets buffer a few MB in the kernel before a non-reading client pushes back, so this
    // stream is longer than any buffer (400 images ≈ 11 MB of events) — from a server that allows it.
    const big = await serveRun({ runDir, maxCount: 400 });
    const baseline = tf.memory().numTensors;
    const total = 400 * WEB_SHAPE.height * WEB_SHAPE.width;
    const sock = await stalledClient(big.url, '/runs/tiny-run/sample?count=400&seed=3');
    await waitFor('the job to start', () => big.jobs().length === 1);
    const job = big.jobs()[0]!;
    let last = -1;
    let still = 0;
    await waitFor('the job to stall', () => {
      if (job.values === last) still++;
      else [last, still] = [job.values, 0];
      return still >= 40; // 400 ms without progress
    });
    expect(job.values).toBeGreaterThan(0);
    expect(job.values).toBeLessThan(total); // stalled, not finished into an unbounded buffer
    expect(job.maxQueuedBytes).toBeLessThan(64 * 1024); // the response's own buffer stays near its 16 KiB mark
    expect(tf.memory().numTensors).toBeGreaterThan(baseline);
    console.log(`[slow client] stalled after ${job.values} of ${total} values; at most ${job.maxQueuedBytes} bytes queued in the response`);
    sock.destroy();
    await waitFor('the job to end', () => big.jobs().length === 0);
    expect(tf.memory().numTensors).toBe(baseline);
    await big.close();
  });

  it('negative control: a server that ignores write()’s backpressure queues megabytes for the same client', async () => {
    const loaded = loadLatestCheckpoint(runDir);
    if (E.isLeft(loaded) || O.isNone(loaded.right)) throw new Error('no checkpoint');
    const { params, slots, spec } = loaded.right.value.contents;
    disposeAll(slots);
    const model = bindModel(spec, params);
    let queued = 0;
    let subscription: { unsubscribe(): void } | null = null;
    const naive = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      subscription = sample(model, { count: 400, seed: 3 }).subscribe((e) => {
        res.write(`data: ${JSON.stringify(e.kind === 'image' ? { ...e, pixels: [...e.pixels] } : e)}\n\n`); // return value ignored
        queued = Math.max(queued, res.writableLength);
      });
    });
    await new Promise<void>((ok) => naive.listen(0, '127.0.0.1', ok));
    const sock = await stalledClient(`http://127.0.0.1:${(naive.address() as AddressInfo).port}/`, '/');
    await waitFor('megabytes queued', () => queued > 1024 * 1024);
    sock.destroy();
    (subscription as { unsubscribe(): void } | null)?.unsubscribe();
    naive.closeAllConnections();
    await new Promise((ok) => naive.close(ok));
    disposeAll(params);
    expect(queued).toBeGreaterThan(1024 * 1024);
  });

  it('bounds concurrent jobs: the next gets 503 with a message and Retry-After, and runs once one ends', async () => {
    const one = await serveRun({ runDir, maxJobs: 1, maxCount: 400 });
    try {
      const sock = await stalledClient(one.url, '/runs/tiny-run/sample?count=400'); // stalls: stays running
      await waitFor('the job to start', () => one.jobs().length === 1);
      const busy = await raw(one.url, '/runs/tiny-run/sample?count=1');
      expect(busy.status).toBe(503);
      expect(busy.headers['retry-after']).toBe('2');
      expect(JSON.parse(busy.body).error).toMatch(/busy: 1 sampling jobs are running \(at most 1\)/);
      sock.destroy();
      await waitFor('the job to end', () => one.jobs().length === 0);
      const ok = await raw(one.url, '/runs/tiny-run/sample?count=1');
      expect(ok.status).toBe(200);
      expect(ok.body).toMatch(/event: done/);
    } finally {
      await one.close();
    }
  });

  it('bad parameters and traversal attempts get their 4xx with a message, and change nothing', async () => {
    symlinkSync('/etc/hostname', join(runDir, 'escape'));
    await (await fetch(`${server.url}runs/tiny-run/sample?count=1`)).text();
    const baseline = tf.memory().numTensors;
    const before = fingerprint(runDir);
    const cases: [string, number, RegExp][] = [
      ['/runs/tiny-run/sample?count=0', 400, /count: expected an integer in 1\.\.64, found "0"/],
      ['/runs/tiny-run/sample?count=65', 400, /count: expected an integer in 1\.\.64/],
      ['/runs/tiny-run/sample?count=1e3', 400, /count: expected an integer/],
      ['/runs/tiny-run/sample?count=2&count=3', 400, /count: expected once, found twice/],
      ['/runs/tiny-run/sample?temperature=-1', 400, /temperature: expected a number in 0\.\.4/],
      ['/runs/tiny-run/sample?temperature=NaN', 400, /temperature: expected a number in 0\.\.4, found "NaN"/],
      ['/runs/tiny-run/sample?temperature=1e309', 400, /temperature/],
      ['/runs/tiny-run/sample?seed=1.5', 400, /seed: expected an integer in 0\.\.2147483647/],
      ['/runs/tiny-run/sample?seed=-3', 400, /seed/],
      ['/runs/tiny-run/sample?class=3', 400, /class: expected nothing: this model is not class-conditional/],
      ['/runs/tiny-run/sample?cuont=3', 400, /cuont: expected no such parameter \(known: count, seed, temperature, class\)/],
      ['/runs/tiny-run/complete?rows=17&index=0', 400, /rows: expected an integer in 0\.\.16/],
      ['/runs/tiny-run/complete?index=4', 400, /index: expected an integer in 0\.\.3/],
      ['/runs/tiny-run/complete?rows=3', 400, /index: expected a data image's index \(or POST a PNG\)/],
      ['/runs/tiny-run/metrics.json?since=x', 400, /since/],
      ['/runs/tiny-run/weights.bin?step=5', 404, /no checkpoint of step 5 \(kept: 12\)/],
      ['/runs/tiny-run/model.json?step=-1', 400, /step: expected an integer in 0\.\./],
      ['/runs/nope/info.json', 404, /no run named 'nope' \(serving: tiny-run\)/],
      ['/runs/tiny-run/files/../../../etc/passwd', 404, /no such page|no run named/],
      ['/runs/tiny-run/files/..%2f..%2f..%2fetc%2fpasswd', 404, /no such page/],
      ['/runs/tiny-run/files/%2e%2e/%2e%2e/tiny-run/report.json', 404, /no such|no run named/],
      ['/runs/tiny-run/files/escape', 404, /no such file in run 'tiny-run'/],
      ['/runs/tiny-run/files/checkpoints', 404, /no such file/],
      ['/runs/..%2f..%2fetc/passwd', 404, /no such page/],
      ['/runs/tiny-run/../../etc/passwd', 404, /no such page/],
      ['/assets/../../package.json', 404, /no such page/],
      ['/assets/index.html', 404, /no such asset/],
      ['//etc/passwd', 404, /no such page/],
      ['/runs/tiny-run/nothing-here', 404, /no such page/],
    ];
    for (const [path, status, message] of cases) {
      const r = await raw(server.url, path);
      expect([path, r.status]).toEqual([path, status]);
      expect(JSON.parse(r.body).error, path).toMatch(message);
    }
    const del = await raw(server.url, '/runs/tiny-run/info.json', { method: 'DELETE' });
    expect(del.status).toBe(405);
    const notPng = await raw(server.url, '/runs/tiny-run/complete?rows=4', { method: 'POST', body: Buffer.from('hello'), headers: { 'content-type': 'image/png' } });
    expect([notPng.status, JSON.parse(notPng.body).error]).toEqual([400, expect.stringMatching(/uploaded PNG: expected a PNG file/)]);
    const wrongSize = await raw(server.url, '/runs/tiny-run/complete?rows=4', { method: 'POST', body: encodePngGrid([new Uint8Array(64)], { height: 8, width: 8, channels: 1, levels: 2 }), headers: { 'content-type': 'image/png' } });
    expect([wrongSize.status, JSON.parse(wrongSize.body).error]).toEqual([400, expect.stringMatching(/expected 16×16 pixels \(the model's\), found 8×8/)]);
    const huge = await raw(server.url, '/runs/tiny-run/complete?rows=4', { method: 'POST', body: Buffer.alloc(5 * 1024 * 1024), headers: { 'content-type': 'image/png' } });
    expect(huge.status).toBe(413);
    // nothing changed: files, jobs, tensors
    expect(fingerprint(runDir)).toEqual(before);
    expect(server.jobs()).toHaveLength(0);
    expect(tf.memory().numTensors).toBe(baseline);
    // the good twins of the bad requests work (so the 4xx above are about the parameters)
    for (const path of ['/runs/tiny-run/sample?count=2&seed=1&temperature=0.5', '/runs/tiny-run/complete?rows=16&index=3', '/runs/tiny-run/files/samples.png', '/runs/tiny-run/metrics.json?since=3', '/runs/tiny-run/weights.bin?step=12', '/runs/tiny-run/model.json'])
      expect([path, (await raw(server.url, path)).status]).toEqual([path, 200]);
    // negative control of the fingerprint: a changed file is seen
    rmSync(join(runDir, 'escape'));
    expect(fingerprint(runDir)).not.toEqual(before);
  });
});
