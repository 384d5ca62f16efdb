// Every spec file runs on one backend: PIXELSTREAMS_BACKEND, or wasm (which is what a user without
// libtensorflow gets). Specs that need another backend (dense conv gradients: cpu) switch locally.
import { beforeAll } from 'vitest';
import { selectBackend } from '../src/backend.js';

beforeAll(async () => {
  const r = await selectBackend(process.env.PIXELSTREAMS_BACKEND ?? 'wasm');
  if (r._tag === 'Left') throw r.left;
});
