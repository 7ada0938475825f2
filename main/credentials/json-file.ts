import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, writeSync, fchownSync, fchmodSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { ParseError } from 'jsonc-parser';
import { BerthError, errorMessage } from '../errors.js';

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
}

/** Follows symlinks, even dangling ones, so a new file is created where the link points. */
function resolveLinks(path: string): string {
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
  try {
    text = readFileSync(real, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path: real, exists: false, data: {} };
    throw new BerthError('file-parse', `Cannot read ${path}: ${errorMessage(error)}`, { cause: error });
  }
  const stat = statSync(real);
  const data = text.trim() === '' ? {} : parseJsonObject(text, path);
  return { path: real, exists: true, data, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid };
}

/** Writes the document's new content atomically, keeping the file's mode and owner. */
export function writeJsonDocument(document: JsonDocument, data: JsonObject, indent = '\t'): void {
  writeTextFileAtomically(document.path, `${JSON.stringify(data, null, indent)}\n`, document.mode ?? 0o600, document);
}

/**
 * Writes a file so that readers see the old content or the new, never a mix:
 * temp file in the same folder, fsync, rename over, fsync the folder.
 */
export function writeTextFileAtomically(path: string, text: string, mode: number, owner: { uid?: number; gid?: number } = {}): void {
  const folder = dirname(path);
  const temp = join(folder, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, text);
      fchmodSync(fd, mode);
      if (owner.uid !== undefined && owner.gid !== undefined && process.getuid?.() === 0) fchownSync(fd, owner.uid, owner.gid);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // The temp file was never created or is already gone.
    }
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
