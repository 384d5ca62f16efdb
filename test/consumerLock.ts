// A package-lock.json for a fresh project that installs our packed tarball, taken from our own lock,
// so that `npm ci --offline` installs it from the npm cache alone. (`npm install --offline <tgz>`
// would need every dependency's registry metadata in the cache, and `npm ci` never stores that; it
// stores the tarballs, which a lock with versions and integrities is enough to find.)
//
// The entries are exactly what the tarball's package.json reaches: its dependencies and optional
// dependencies, then theirs (and their non-optional peers), looked up the way Node does — in the
// dependent's own node_modules, then in each folder up. A dependency our lock does not hold is an
// error naming who needs it, not a network fetch.

/** One entry of package-lock.json's "packages" (lockfileVersion 3), as far as we read it. */
export interface LockEntry {
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly [field: string]: unknown;
}

export interface Lock {
  readonly lockfileVersion: number;
  readonly packages: Record<string, LockEntry>;
}

/** The lock key that `name` resolves to from the package at `from` ('' is the root). */
export const resolveInLock = (packages: Record<string, LockEntry>, from: string, name: string): string | null => {
  for (let at = from; ; ) {
    const key = `${at ? `${at}/` : ''}node_modules/${name}`;
    if (packages[key]) return key;
    if (!at) return null;
    const i = at.lastIndexOf('/node_modules/');
    at = i < 0 ? '' : at.slice(0, i);
  }
};

const needs = (e: LockEntry): { name: string; optional: boolean }[] => [
  ...Object.keys(e.dependencies ?? {}).map((name) => ({ name, optional: false })),
  ...Object.keys(e.optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
  // npm installs peers, except those marked optional (which only a dependent that needs them brings)
  ...Object.keys(e.peerDependencies ?? {})
    .filter((name) => e.peerDependenciesMeta?.[name]?.optional !== true)
    .map((name) => ({ name, optional: false })),
];

/** Every lock entry reachable from `root`'s dependencies, keyed as in `lock`. */
export const reachable = (lock: Lock, root: LockEntry): Record<string, LockEntry> => {
  if (lock.lockfileVersion < 2) throw new Error(`package-lock.json: expected lockfileVersion 2 or 3, found ${lock.lockfileVersion}`);
  const out: Record<string, LockEntry> = {};
  const visit = (from: string, entry: LockEntry): void => {
    for (const { name, optional } of needs(entry)) {
      const key = resolveInLock(lock.packages, from, name);
      if (key === null) {
        if (optional) continue;
        throw new Error(`package-lock.json: ${from || 'package.json'} depends on ${name}, which the lock does not hold (run npm install)`);
      }
      if (out[key]) continue;
      out[key] = lock.packages[key]!;
      visit(key, out[key]);
    }
  };
  visit('', root);
  return out;
};

/**
 * The consumer's package.json and lock: `dependencies` (ours as `file:<tarball>`, plus whatever the
 * consumer imports itself) and `devDependencies`, all but ours at the versions `lock` pins.
 */
export const consumerProject = (
  lock: Lock,
  ours: LockEntry & { name: string; version: string },
  tarball: string,
  own: { dependencies: string[]; devDependencies: string[] },
): { packageJson: object; lock: object } => {
  const pin = (names: string[]): Record<string, string> =>
    Object.fromEntries(
      names.map((n) => {
        const e = lock.packages[`node_modules/${n}`];
        if (!e?.version) throw new Error(`package-lock.json: expected a top-level ${n}, found none`);
        return [n, e.version];
      }),
    );
  const dependencies = { [ours.name]: `file:${tarball}`, ...pin(own.dependencies) };
  const devDependencies = pin(own.devDependencies);
  // our lock's dev / optional flags hold for the consumer too: our dependencies are its (optional
  // ones stay optional), its own dev dependencies are dev ones in our lock as well
  const entries = { ...reachable(lock, ours), ...reachable(lock, { dependencies: { ...pin(own.dependencies), ...devDependencies } }) };
  const packages: Record<string, LockEntry> = {
    '': { name: 'consumer', dependencies, devDependencies },
    [`node_modules/${ours.name}`]: {
      version: ours.version,
      resolved: `file:${tarball}`,
      ...Object.fromEntries(
        ['license', 'dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines']
          .filter((k) => ours[k] !== undefined)
          .map((k) => [k, ours[k]]),
      ),
    },
  };
  for (const key of Object.keys(entries).sort()) packages[key] = entries[key]!;
  return {
    packageJson: { name: 'consumer', private: true, type: 'module', dependencies, devDependencies },
    lock: { name: 'consumer', lockfileVersion: 3, requires: true, packages },
  };
};
