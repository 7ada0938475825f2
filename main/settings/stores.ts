import { mkdirSync } from 'node:fs';
import { BerthError, errorMessage } from '../errors.js';
import type { RegistrySettings, RegistryStatusRecord, SettingsData, StatusData, Preferences } from './model.js';
import { defaultPreferences } from './model.js';

/** A file read on every access, so processes see each other's writes, and changed one process at a time. */
export interface DocumentFile<T> {
  readonly path: string;
  read(): T;
  update(change: (current: T) => T): void;
}

function readDocument<T>(file: DocumentFile<T>): T {
  try {
    return file.read();
  } catch (error) {
    if (error instanceof BerthError) throw error;
    throw new BerthError('file-parse', `Cannot read ${file.path}: ${errorMessage(error)}. Berth left the file as it is; fix or remove it.`, { cause: error });
  }
}

function updateDocument<T>(file: DocumentFile<T>, change: (current: T) => T): void {
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

  /** Replaces one registry's settings, keeping its place in the list. */
  replace(registry: RegistrySettings): void {
    updateDocument(this.file, (data) => {
      const registries = data.registries ?? [];
      if (!registries.some((existing) => existing.name === registry.name)) {
        throw new BerthError('not-found', `No registry named "${registry.name}". See \`berth status\` for the configured ones.`, { registry: registry.name });
      }
      return { ...data, registries: registries.map((existing) => (existing.name === registry.name ? registry : existing)) };
    });
  }

  /** Changes one registry as the file holds it now (under the file's lock), so a change another process made meanwhile is kept. */
  update(name: string, change: (registry: RegistrySettings) => RegistrySettings): RegistrySettings {
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

  /** Replaces a registry's record; `undefined` fields are dropped so the file holds only what is known. */
  put(name: string, record: RegistryStatusRecord): void {
    const clean = Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as unknown as RegistryStatusRecord;
    updateDocument(this.file, (data) => ({ ...data, registries: { ...data.registries, [name]: clean } }));
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
