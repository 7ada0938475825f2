import { mkdirSync } from 'node:fs';
import { BerthError, errorMessage } from '../errors.js';
import type { RegistrySettings, RegistryStatusRecord, SettingsData, StatusData, Preferences } from './model.js';
import { defaultPreferences } from './model.js';

/** A file behind a `store` property; each read goes to the file, so processes see each other's writes. */
export interface DocumentFile<T> {
  readonly path: string;
  store: T;
}

function readDocument<T>(file: DocumentFile<T>): T {
  try {
    return file.store;
  } catch (error) {
    if (error instanceof BerthError) throw error;
    throw new BerthError('file-parse', `Cannot read ${file.path}: ${errorMessage(error)}. Berth left the file as it is; fix or remove it.`, { cause: error });
  }
}

function writeDocument<T>(file: DocumentFile<T>, value: T): void {
  try {
    file.store = value;
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
    const data = readDocument(this.file);
    const registries = data.registries ?? [];
    if (registries.some((existing) => existing.name === registry.name)) {
      throw new BerthError('exists', `A registry named "${registry.name}" already exists; remove it first or pick another name.`, { registry: registry.name });
    }
    writeDocument(this.file, { ...data, registries: [...registries, registry] });
  }

  remove(name: string): void {
    const data = readDocument(this.file);
    writeDocument(this.file, { ...data, registries: (data.registries ?? []).filter((registry) => registry.name !== name) });
  }

  /** Replaces one registry's settings, keeping its place in the list. */
  replace(registry: RegistrySettings): void {
    const data = readDocument(this.file);
    const registries = data.registries ?? [];
    // An unknown name fails the way `get` explains it.
    if (!registries.some((existing) => existing.name === registry.name)) this.get(registry.name);
    writeDocument(this.file, { ...data, registries: registries.map((existing) => (existing.name === registry.name ? registry : existing)) });
  }

  preferences(): Preferences {
    return { ...defaultPreferences, ...readDocument(this.file).preferences };
  }

  setPreferences(preferences: Preferences): void {
    writeDocument(this.file, { ...readDocument(this.file), preferences });
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

  /** Replaces a registry's record; `undefined` fields are dropped so the file holds only what is known. */
  put(name: string, record: RegistryStatusRecord): void {
    const data = readDocument(this.file);
    const clean = Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as unknown as RegistryStatusRecord;
    writeDocument(this.file, { ...data, registries: { ...data.registries, [name]: clean } });
  }

  remove(name: string): void {
    const data = readDocument(this.file);
    const { [name]: _removed, ...rest } = data.registries ?? {};
    writeDocument(this.file, { ...data, registries: rest });
  }
}

/** Berth's config folder is private to the user: it names registries, users and log lines. */
export function ensureConfigDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}
