import { existsSync, readFileSync } from 'node:fs';
import type { RegistryKind, SettingsData, StatusData } from './model.js';
import { settingsFile, statusFile } from './paths.js';

/** A registry as the credential helper needs it: where, and as whom. */
export interface ManagedRegistry {
  name: string;
  kind: RegistryKind;
  url: string;
  username?: string;
}

async function readJson<T>(path: string): Promise<Partial<T>> {
  if (!existsSync(path)) return {};
  const text = readFileSync(path, 'utf8');
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Partial<T>;
  } catch {
    // Explained below, with the file's line and column.
  }
  // Only a broken file pays for loading the parser that says where it broke.
  const { parseJsonObject } = await import('../credentials/json-file.js');
  return parseJsonObject(text, path) as Partial<T>;
}

/** The settings and status files read without the field checks, for the credential helper (every pull) and the doctor (a file may be broken). */
export async function readBerthFiles(dir: string): Promise<{ settings: Partial<SettingsData>; status: Partial<StatusData> }> {
  const [settings, status] = await Promise.all([readJson<SettingsData>(settingsFile(dir)), readJson<StatusData>(statusFile(dir))]);
  return { settings, status };
}

export async function managedRegistries(dir: string): Promise<ManagedRegistry[]> {
  const { settings, status } = await readBerthFiles(dir);
  return (settings.registries ?? []).map((registry) => {
    const username = status.registries?.[registry.name]?.username;
    return { name: registry.name, kind: registry.kind, url: registry.url, ...(username !== undefined ? { username } : {}) };
  });
}
