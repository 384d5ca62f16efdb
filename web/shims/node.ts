// node:os, node:path, node:crypto, node:module, node:v8 in the browser bundle: the few names src/ modules
// import at top level. None is called by the page (see shims/fs.ts); calls that would need Node throw.
const unavailable = (name: string) => (): never => {
  throw new Error(`${name} is not available in the browser (pixelstreams web bundle)`);
};
export const endianness = (): 'LE' | 'BE' => (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'LE' : 'BE');
export const tmpdir = (): string => '/tmp';
export const join = (...parts: string[]): string => parts.filter(Boolean).join('/').replace(/\/+/g, '/');
export const basename = (p: string): string => p.replace(/\/+$/, '').split('/').pop() ?? '';
export const dirname = (p: string): string => p.replace(/\/[^/]*$/, '') || '.';
export const resolve = join;
export const createHash = unavailable('node:crypto createHash');
export const createRequire = () => unavailable('node:module require');
/** node:v8: turning on relaxed SIMD is Node 20's business; a browser has it or not, and our wasm kernels do not run there. */
export const setFlagsFromString = (): void => {};
export default { endianness, tmpdir, join, basename, dirname, resolve, createHash, createRequire, setFlagsFromString };
