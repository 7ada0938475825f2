import { readJsonDocument, updateJsonDocument, type JsonObject } from '../credentials/json-file.js';
import { BerthError } from '../errors.js';
import type { DocumentFile } from './stores.js';

/**
 * One JSON file Berth owns (settings or status), read on every access so processes see each other's writes, checked field
 * by field, and changed under a lock (one process at a time) with an atomic write, mode 0600. A file that fails the check is never rewritten.
 */
export class JsonFileStore<T> implements DocumentFile<T> {
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

  read(): T {
    return this.checked(readJsonDocument(this.path).data);
  }

  update(change: (current: T) => T): void {
    updateJsonDocument(this.path, (data) => {
      const next = change(this.checked(data)) as unknown as JsonObject;
      // Checked on the way out too: a bad value is a bug here, and must not reach the file.
      this.checked(next);
      return next;
    });
  }
}
