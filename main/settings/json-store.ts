import { readJsonDocument, updateJsonDocument, versionOf, type JsonObject } from '../credentials/json-file.js';
import { BerthError } from '../errors.js';
import type { DocumentFile } from './stores.js';

/**
 * One JSON file Berth owns (settings or status), read on every access so processes see each other's writes, checked field
 * by field, and changed under a lock (one process at a time) with an atomic write, mode 0600. A file that fails the check is never rewritten.
 */
export class JsonFileStore<T> implements DocumentFile<T> {
  // The last content read and checked, for as long as the file is the same file: a keep-alive process reads it constantly.
  private cached: { version: string; value: T } | undefined;

  constructor(
    readonly path: string,
    private readonly problems: (data: JsonObject) => string[],
  ) {}

  private checked(data: JsonObject): T {
    const problems = this.problems(data);
    if (problems.length > 0) {
      throw new BerthError('file-parse', `${this.path}: ${problems.join('; ')}. Berth left the file as it is; fix or remove it.`);
    }
    // The field checks above are what make this cast sound.
    return data as T;
  }

  /** The checked content; frozen, since it may be handed out again while the file is unchanged. */
  read(): T {
    const version = versionOf(this.path);
    if (version !== undefined && this.cached?.version === version) return this.cached.value;
    const document = readJsonDocument(this.path);
    const value = deepFreeze(this.checked(document.data));
    // The version read before the content: a change in between leaves a stale version, which only costs a read.
    if (version !== undefined && document.version === version) this.cached = { version, value };
    return value;
  }

  update(change: (current: T) => T | null): void {
    updateJsonDocument(this.path, (data) => {
      const next = change(this.checked(data)) as unknown as JsonObject | null;
      if (next === null) return null;
      // Checked on the way out too: a bad value is a bug here, and must not reach the file.
      this.checked(next);
      return next;
    });
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) deepFreeze(child);
  }
  return value;
}
