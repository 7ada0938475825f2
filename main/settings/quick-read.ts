import { existsSync, readFileSync } from 'node:fs';
import { parseJsonObject } from '../credentials/json-file.js';
import type { RegistryKind, SettingsData, StatusData } from './model.js';
import { storeOptions } from './schema.js';

/** A registry as the credential helper needs it: where, and as whom. */
export interface ManagedRegistry {
  name: string;
  kind: RegistryKind;
  url: string;
  username?: string;
}

function readJson<T>(path: string): Partial<T> {
  return existsSync(path) ? (parseJsonObject(readFileSync(path, 'utf8'), path) as Partial<T>) : {};
}

/** The settings and status files read without conf or schema validation: the credential helper runs on every pull. */
export function managedRegistries(dir: string): ManagedRegistry[] {
  const files = storeOptions(dir);
  const settings = readJson<SettingsData>(files.settings.path);
  const status = readJson<StatusData>(files.status.path);
  return (settings.registries ?? []).map((registry) => {
    const username = status.registries?.[registry.name]?.username;
    return { name: registry.name, kind: registry.kind, url: registry.url, ...(username !== undefined ? { username } : {}) };
  });
}
