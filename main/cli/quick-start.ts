import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { compileCacheDir, enableCompileCache } from './compile-cache.js';

/**
 * What the build wrote beside the quick starts (`quick-starts.json`): each one's file, a hash of its content, the commands
 * (first arguments) it answers, and its full CLI's ES module, which exports `main`.
 */
type QuickStarts = Record<string, { file: string; hash: string; answers: string[]; full: string }>;

/** What a quick start exports: `start`, given how to load its full CLI and how to keep the code this run compiled. */
export interface QuickStart {
  start(host: { full: () => Promise<unknown>; keep: () => void }): void;
}

// Node wraps a CommonJS file in this function; a quick start is run the same way, from its own compiled script.
const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;

/**
 * Runs the quick start `name` (dist/cli/<name>.cjs) with V8's code cache of an earlier run. Node's compile cache keeps a
 * file's code as compiled before it ran, so every function a command calls is compiled again at each start; this cache
 * is taken at the exit of a run that went the whole way (a secret handed to docker, a check answered), with those
 * functions in it. It is keyed by the bundle's content hash and the runtime; a cache V8 refuses is replaced. Node's
 * compile cache still serves the full CLI's ES modules.
 */
export function runQuickStart(name: string): void {
  // This file is built into dist/cli, beside the quick starts.
  const cliDir = dirname(fileURLToPath(import.meta.url));
  const { file, hash, answers, full } = (JSON.parse(readFileSync(join(cliDir, 'quick-starts.json'), 'utf8')) as QuickStarts)[name] as QuickStarts[string];
  // A script compiled from a cache cannot import(): the full CLI is imported from here, its modules through Node's compile cache.
  const fullCli = () => {
    enableCompileCache();
    return import(pathToFileURL(join(cliDir, full)).href) as Promise<{ main(): Promise<unknown> }>;
  };
  // Any other command goes straight to the full CLI: the quick start would only cost it the time to load.
  if (!answers.includes(process.argv[2] ?? '')) {
    void fullCli().then((cli) => cli.main());
    return;
  }
  const path = join(cliDir, file);
  const folder = join(compileCacheDir(), 'quick-starts');
  const cacheFile = join(folder, `${name}-${hash}-${process.version}-${process.arch}.bin`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // No cache yet: a run that goes the whole way makes one.
  }
  const script = new Script(wrap(readFileSync(path, 'utf8')), { filename: path, cachedData });
  const keep = () => {
    if (!cachedData || script.cachedDataRejected) process.once('exit', () => saveCache(folder, cacheFile, `${name}-`, `${name}-${hash}-`, script));
  };
  const module = { exports: {} as QuickStart };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(path), module, path, dirname(path));
  module.exports.start({ full: fullCli, keep });
}

/** Written whole or not at all (two helpers docker started at once may both write it); caches of older builds go. */
function saveCache(folder: string, cacheFile: string, anyBuild: string, thisBuild: string, script: Script): void {
  const temp = `${cacheFile}.${process.pid}.tmp`;
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
    renameSync(temp, cacheFile);
    for (const old of readdirSync(folder)) if (old.startsWith(anyBuild) && !old.startsWith(thisBuild) && !old.endsWith('.tmp')) unlinkSync(join(folder, old));
  } catch {
    // A cache folder that cannot be written (read-only, full) costs the next start its compile time, nothing more.
    forget(temp);
  }
}

/** Removes a half-written cache file, if there is one and the folder lets it go: an exit must never fail on its cache. */
function forget(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // A folder that refuses even this keeps the temp file, which nothing reads.
  }
}
