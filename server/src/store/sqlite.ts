import type * as sqlite from 'node:sqlite';

let loaded: typeof sqlite | undefined;

/**
 * `node:sqlite`, loaded once. Node versions where it is still experimental print an
 * ExperimentalWarning on load; that one warning is dropped (it would reach every CLI user and
 * the extension host's log), every other warning passes through untouched.
 */
export function sqliteModule(): typeof sqlite {
  if (loaded) return loaded;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    if (isSqliteExperimentalWarning(warning, rest[0])) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    loaded = process.getBuiltinModule?.('node:sqlite');
  } finally {
    process.emitWarning = emitWarning;
  }
  if (!loaded) {
    throw new Error(
      `Plumbline stores its data with node:sqlite, which this Node (${process.version}) does not have; it needs Node >= 22.13. ` +
        'In the repository, run it through npm (npm run plumbline -- ARGS, npx plumbline ARGS), which uses the bundled Node 24.',
    );
  }
  return loaded;
}

export function isSqliteExperimentalWarning(warning: string | Error, typeOrOptions: unknown): boolean {
  const type =
    typeof typeOrOptions === 'string'
      ? typeOrOptions
      : typeof typeOrOptions === 'object' && typeOrOptions !== null
        ? (typeOrOptions as { type?: unknown }).type
        : undefined;
  const effectiveType = typeof warning === 'string' ? type : (type ?? warning.name);
  const message = typeof warning === 'string' ? warning : warning.message;
  return effectiveType === 'ExperimentalWarning' && /^SQLite\b/.test(message);
}
