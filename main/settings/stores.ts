import { mkdirSync } from 'node:fs';
import { BerthError, errorMessage } from '../errors.js';
import type { RegistrySettings, RegistryStatusRecord, SettingsData, StatusData, Preferences } from './model.js';
import { defaultPreferences } from './model.js';

/** A file read on every access, so processes see each other's writes, and changed one process at a time. */
export interface DocumentFile<T> {
  readonly path: string;
  read(): T;
  /** `change` sees the file as it is under the lock; `null` leaves it unwritten. */
  update(change: (current: T) => T | null): void;
}

function readDocument<T>(file: DocumentFile<T>): T {
  try {
    return file.read();
  } catch (error) {
    if (error instanceof BerthError) throw error;
    throw new BerthError('file-parse', `Cannot read ${file.path}: ${errorMessage(error)}. Berth left the file as it is; fix or remove it.`, { cause: error });
  }
}

function updateDocument<T>(file: DocumentFile<T>, change: (current: T) => T | null): void {
  try {
    file.update(change);
  } catch (error) {
    if (error instanceof BerthError) throw error;
    throw new BerthError('file-write', `Cannot write ${file.path}: ${errorMessage(error)}`, { cause: error });
  }
}

/** Harbor registries added before Berth knew Harbor's web login have no method: they use Berth's own client. */
function withMethod(registry: RegistrySettings): RegistrySettings {
  return registry.kind === 'harbor' && registry.method === undefined ? { ...(registry as object), method: 'oidc' } as RegistrySettings : registry;
}

export class SettingsStore {
  constructor(private readonly file: DocumentFile<SettingsData>) {}

  get path(): string {
    return this.file.path;
  }

  registries(): RegistrySettings[] {
    return (readDocument(this.file).registries ?? []).map(withMethod);
  }

  find(name: string): RegistrySettings | undefined {
    return this.registries().find((registry) => registry.name === name);
  }

  get(name: string): RegistrySettings {
    const registry = this.find(name);
    if (!registry) throw new BerthError('not-found', `No registry named "${name}". See \`berth status\` for the configured ones.`, { registry: name });
    return registry;
  }

  add(registry: RegistrySettings): void {
    updateDocument(this.file, (data) => {
      const registries = data.registries ?? [];
      if (registries.some((existing) => existing.name === registry.name)) {
        throw new BerthError('exists', `A registry named "${registry.name}" already exists; remove it first or pick another name.`, { registry: registry.name });
      }
      return { ...data, registries: [...registries, registry] };
    });
  }

  remove(name: string): void {
    updateDocument(this.file, (data) => ({ ...data, registries: (data.registries ?? []).filter((registry) => registry.name !== name) }));
  }

  /**
   * Changes one registry's settings under the file's lock, from the settings as they are then (another process may have
   * changed them since this one read them), keeping its place in the list; returns what was written.
   */
  update(name: string, change: (current: RegistrySettings) => RegistrySettings): RegistrySettings {
    let updated: RegistrySettings | undefined;
    updateDocument(this.file, (data) => {
      const registries = data.registries ?? [];
      const current = registries.find((existing) => existing.name === name);
      if (!current) throw new BerthError('not-found', `No registry named "${name}". See \`berth status\` for the configured ones.`, { registry: name });
      const next = change(withMethod(current));
      updated = next;
      return { ...data, registries: registries.map((existing) => (existing === current ? next : existing)) };
    });
    return updated as RegistrySettings;
  }

  preferences(): Preferences {
    return { ...defaultPreferences, ...readDocument(this.file).preferences };
  }

  setPreferences(preferences: Preferences): void {
    updateDocument(this.file, (data) => ({ ...data, preferences }));
  }
}

export class StatusStore {
  constructor(private readonly file: DocumentFile<StatusData>) {}

  get path(): string {
    return this.file.path;
  }

  get(name: string): RegistryStatusRecord {
    return readDocument(this.file).registries?.[name] ?? { state: 'signed-out' };
  }

  /** Every registry's record, from one read of the file. */
  all(): Record<string, RegistryStatusRecord> {
    return readDocument(this.file).registries ?? {};
  }

  /** Replaces a registry's record with one that does not depend on the old (a sign-in, a sign-out). */
  put(name: string, record: RegistryStatusRecord): void {
    this.update(name, () => record);
  }

  /**
   * Changes a registry's record under the file's lock, from the record as it is then: another process's change to the
   * same record in between is never written over. `null` from `change` leaves the file alone. `undefined` fields are
   * dropped so the file holds only what is known. Returns the record before and after.
   */
  update(name: string, change: (current: RegistryStatusRecord) => RegistryStatusRecord | null): { before: RegistryStatusRecord; after: RegistryStatusRecord } {
    let before: RegistryStatusRecord = { state: 'signed-out' };
    let after = before;
    updateDocument(this.file, (data) => {
      before = data.registries?.[name] ?? { state: 'signed-out' };
      const next = change(before);
      if (next === null) {
        after = before;
        return null;
      }
      after = Object.fromEntries(Object.entries(next).filter(([, value]) => value !== undefined)) as unknown as RegistryStatusRecord;
      return { ...data, registries: { ...data.registries, [name]: after } };
    });
    return { before, after };
  }

  remove(name: string): void {
    updateDocument(this.file, (data) => {
      const { [name]: _removed, ...rest } = data.registries ?? {};
      return { ...data, registries: rest };
    });
  }
}

/** Berth's config folder is private to the user: it names registries, users and log lines. */
export function ensureConfigDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}
