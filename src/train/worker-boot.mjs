// Starts a TypeScript worker entry when running from sources (tsx, vitest): registers tsx's loader
// inside this worker thread and imports workerData.entry. Built packages start worker-entry.js directly.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.entry, import.meta.url);
