// node:fs in the browser bundle. Nothing the page runs reads files: src/kernels/module.ts reads our
// own .wasm kernels lazily, and those are registered only by src/backend.ts (not bundled). A call
// here is a bug in the page's imports, and says so.
const unavailable = (name: string) => (): never => {
  throw new Error(`node:fs ${name} is not available in the browser (pixelstreams web bundle)`);
};
export const readFileSync = unavailable('readFileSync');
export const existsSync = (): boolean => false;
export const readdirSync = unavailable('readdirSync');
export const mkdirSync = unavailable('mkdirSync');
export const writeFileSync = unavailable('writeFileSync');
export default { readFileSync, existsSync, readdirSync, mkdirSync, writeFileSync };
