import * as E from 'fp-ts/lib/Either.js';
import { afterEach, describe, expect, it } from 'vitest';
import { currentBackend, selectBackend } from './backend.js';
import { tf } from './tf.js';

describe('backend ladder', () => {
  afterEach(async () => {
    delete process.env.PIXELSTREAMS_BACKEND;
    await selectBackend('wasm');
  });

  it('says which backend runs', () => {
    expect(currentBackend()?.name).toBe('wasm');
    expect(currentBackend()?.detail).toMatch(/single thread/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('a requested backend that cannot load is an error naming it, not a silent fallback', async () => {
    const r = await selectBackend('tensorflow');
    expect(E.isLeft(r) && r.left.message).toMatch(/backend 'tensorflow' was requested but cannot load: @tensorflow\/tfjs-node is not installed/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('an unknown name lists the choices', async () => {
    const r = await selectBackend('metal');
    expect(E.isLeft(r) && r.left.message).toMatch(/backend: expected one of tensorflow-gpu, tensorflow, wasm, cpu or auto, found 'metal'/);
  });

  it('PIXELSTREAMS_BACKEND picks the backend when no name is given', async () => {
    process.env.PIXELSTREAMS_BACKEND = 'cpu';
    const r = await selectBackend();
    expect(E.isRight(r) && r.right.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('auto keeps the running backend', async () => {
    const r = await selectBackend('auto');
    expect(E.isRight(r) && r.right.name).toBe('wasm');
  });
});
