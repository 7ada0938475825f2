import { closeSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, writeSync, fchownSync, fchmodSync, type BigIntStats } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { ParseError } from 'jsonc-parser';
import { BerthError, errorMessage } from '../errors.js';
import { isAlive, lockAbandoned, parseLockOwner, readLock, sleepSync, takeOverLock, tempFileFor, tempFileWriter, withFileLock } from './file-lock.js';

export type JsonObject = Record<string, unknown>;

// Loaded only to explain a parse error; the credential helper and most commands never need it.
const jsonc = () => createRequire(import.meta.url)('jsonc-parser') as typeof import('jsonc-parser');

/** A JSON file Berth edits but does not own, with what it needs to write it back as it was found. */
export interface JsonDocument {
  /** The real file behind any symlinks: writes go there, so the link stays a link. */
  readonly path: string;
  readonly exists: boolean;
  readonly data: JsonObject;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** The file as it was read (inode, size, modification time), to notice another writer before replacing it. */
  readonly version?: string;
}

/** The file's identity as last written (inode, size, modification time); every write makes a new one. */
export function versionOf(path: string): string | undefined {
  try {
    return versionOfStat(statSync(path, { bigint: true }));
  } catch {
    return undefined;
  }
}

function versionOfStat(stat: BigIntStats): string {
  return `${stat.ino}:${stat.size}:${stat.mtimeNs}`;
}

/** Follows symlinks, even dangling ones, so a new file is created where the link points. */
export function resolveLinks(path: string): string {
  let current = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let stat;
    try {
      stat = lstatSync(current);
    } catch {
      return current;
    }
    if (!stat.isSymbolicLink()) return current;
    const target = readlinkSync(current);
    current = isAbsolute(target) ? target : resolve(dirname(current), target);
  }
  throw new BerthError('file-write', `${path} is a loop of symbolic links.`);
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** Parses strict JSON; a failure names the file, line, column and what was wrong there. */
export function parseJsonObject(text: string, path: string): JsonObject {
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new BerthError('file-parse', `${path}: expected a JSON object at line 1, column 1. Berth did not change the file.`);
    }
    return value as JsonObject;
  } catch (error) {
    if (error instanceof BerthError) throw error;
    const errors: ParseError[] = [];
    const { parseTree, printParseErrorCode } = jsonc();
    parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    const offset = first?.offset ?? text.length;
    const { line, column } = lineAndColumn(text, offset);
    const what = first ? printParseErrorCode(first.error) : errorMessage(error);
    throw new BerthError('file-parse', `${path}:${line}:${column}: not valid JSON (${what}). Berth did not change the file; fix it and try again.`, {
      cause: error,
    });
  }
}

export function readJsonDocument(path: string): JsonDocument {
  const real = resolveLinks(path);
  let text: string;
  let stat: BigIntStats;
  try {
    // The version comes from the open file read, not the path: a writer that replaces the file in between must not lend its version to the old content.
    const fd = openSync(real, 'r');
    try {
      stat = fstatSync(fd, { bigint: true });
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path: real, exists: false, data: {} };
    throw new BerthError('file-parse', `Cannot read ${path}: ${errorMessage(error)}`, { cause: error });
  }
  const data = text.trim() === '' ? {} : parseJsonObject(text, path);
  return { path: real, exists: true, data, mode: Number(stat.mode) & 0o7777, uid: Number(stat.uid), gid: Number(stat.gid), version: versionOfStat(stat) };
}

/** Writes the document's new content atomically, keeping the file's mode and owner; fails with `file-changed` if another program replaced the file since it was read. */
export function writeJsonDocument(document: JsonDocument, data: JsonObject, indent = '\t'): void {
  writeTextFileAtomically(document.path, `${JSON.stringify(data, null, indent)}\n`, document.mode ?? 0o600, { ...document, expected: document.exists ? (document.version ?? 'unknown') : 'absent' });
}

/** The lock file that serialises Berth's read-modify-writes of `path`, beside the file itself. */
export function lockFileFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.berth.lock`);
}

// How long a write keeps starting over while other programs replace the file, and how long it pauses between tries.
const changeWindowMs = 3_000;
const changePauseMs = 10;

/**
 * Changes one JSON file that other processes may write too: under Berth's lock for the file (other Berth processes wait),
 * and against writers that take no lock (the real `docker login`) by starting over when the file changed under Berth.
 * `change` returns the new content, or `null` when nothing needs writing.
 */
export function updateJsonDocument(path: string, change: (data: JsonObject) => JsonObject | null, indent = '\t'): void {
  const real = resolveLinks(path);
  mkdirSync(dirname(real), { recursive: true, mode: 0o700 });
  withFileLock(lockFileFor(real), () => {
    const started = Date.now();
    for (;;) {
      // A docker write under way is waited out before reading: starting over would write and fsync a temp file every pause.
      while (othersMidWrite(real) && Date.now() - started <= changeWindowMs) sleepSync(changePauseMs);
      const document = readJsonDocument(real);
      const next = change(document.data);
      if (next === null) return;
      try {
        writeJsonDocument(document, next, indent);
        return;
      } catch (error) {
        if (!(error instanceof BerthError && error.code === 'file-changed') || Date.now() - started > changeWindowMs) throw error;
        sleepSync(changePauseMs);
      }
    }
  });
}

// Locks of a read-modify-write beside their file, and the guard of a takeover beside a lock.
const lockName = /\.berth\.lock(\.takeover)?$/;

/**
 * Removes what Berth processes killed mid-write left in the folder of `path`: their temp files (full copies of a file, with
 * whatever credentials it holds) and their lock files, for every file of Berth's there, not only this one.
 */
export function removeLeftovers(path: string): void {
  const folder = dirname(path);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const full = join(folder, name);
    try {
      const writer = tempFileWriter(name);
      // Before temp files carried a pid they were `.<name>.<12 hex>.tmp`: those are left over once a minute old.
      const old = name.startsWith(`.${basename(path)}.`) && /^[0-9a-f]{12}$/.test(name.slice(basename(path).length + 2, -'.tmp'.length)) && name.endsWith('.tmp');
      if (writer !== undefined) {
        if (!isAlive(writer.pid, writer.start)) unlinkSync(full);
      } else if (old) {
        if (Date.now() - statSync(full).mtimeMs > 60_000) unlinkSync(full);
      } else if (lockName.test(name)) {
        // Only locks that name their dead owner: an ownerless one is judged by its own file's next writer.
        const seen = readLock(full);
        if (seen && parseLockOwner(seen.raw) && lockAbandoned(seen.raw, seen.ageMs, Number.POSITIVE_INFINITY)) {
          if (name.endsWith('.takeover')) {
            if (readLock(full)?.raw === seen.raw) unlinkSync(full);
          } else takeOverLock(full, seen.raw);
        }
      }
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

// What a write that takes no lock leaves beside `name` until its rename: Go's os.CreateTemp as the docker CLI uses it
// (`config.json<digits>`), and the `.tmp-<name><digits>` of containers' AtomicWriteFile (podman, skopeo).
const othersTemp = (name: string) => new RegExp(`^(\\.tmp-)?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\d+$`);
// Older than this, such a file was left by a writer that died: it no longer holds Berth back.
const othersTempFreshMs = 2_000;

/** Whether another program is between writing its temp file of `path` and renaming it over: Berth's rename now would undo its write. */
export function othersMidWrite(path: string): boolean {
  const pattern = othersTemp(basename(path));
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return false;
  }
  return names.some((name) => {
    if (!pattern.test(name)) return false;
    try {
      return Date.now() - statSync(join(dirname(path), name)).mtimeMs < othersTempFreshMs;
    } catch {
      return false;
    }
  });
}

/**
 * Writes a file so that readers see the old content or the new, never a mix: temp file in the same folder, fsync, rename
 * over, fsync the folder. With `expected` (the version read, or `absent`), a file another program replaced meanwhile is not
 * overwritten: `file-changed`, and the caller starts over from the new content.
 */
export function writeTextFileAtomically(path: string, text: string, mode: number, options: { uid?: number; gid?: number; expected?: string } = {}): void {
  const folder = dirname(path);
  const temp = tempFileFor(path);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    removeLeftovers(path);
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, text);
      fchmodSync(fd, mode);
      if (options.uid !== undefined && options.gid !== undefined && process.getuid?.() === 0) fchownSync(fd, options.uid, options.gid);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // Nothing between this check and the rename: the gap is where a writer that takes no lock could still slip in.
    if (options.expected !== undefined && (othersMidWrite(path) || (versionOf(path) ?? 'absent') !== options.expected)) {
      throw new BerthError('file-changed', `${path} changed while Berth was writing it.`);
    }
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // The temp file was never created or is already gone.
    }
    if (error instanceof BerthError) throw error;
    throw new BerthError('file-write', `Cannot write ${path}: ${errorMessage(error)}`, { cause: error });
  }
  try {
    const dirFd = openSync(folder, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename is still atomic there.
  }
}

/** A file Berth keeps only as a cache: missing or damaged reads as empty, since its content is rebuilt as Berth works. */
export function readCacheFile<T>(path: string): Record<string, T> {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, T>) : {};
  } catch {
    return {};
  }
}

/** Writes a cache file atomically; a failure costs only what the cache would have saved. */
export function writeCacheFile(path: string, data: JsonObject): void {
  try {
    writeTextFileAtomically(path, `${JSON.stringify(data, null, '  ')}\n`, 0o600);
  } catch {
    // Nothing to do: the next run works without it.
  }
}
