// The CLI run in-process for tests: main(argv) with stderr and stdout captured, the exit code returned.

import { vi } from 'vitest';
import { main } from '../pipelines/cli.js';

export const runCli = async (...args: string[]): Promise<{ code: number; stderr: string; stdout: string }> => {
  const err: string[] = [];
  const out: string[] = [];
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  try {
    const code = await main(['node', 'pixelstreams', ...args]);
    return { code, stderr: err.join(''), stdout: out.join('') };
  } finally {
    e.mockRestore();
    o.mockRestore();
  }
};
