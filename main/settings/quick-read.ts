import { existsSync, readFileSync } from 'node:fs';
import { BerthError } from '../errors.js';
import type { RegistryKind, SecretStoreKind, SettingsData, StatusData } from './model.js';
import { settingsFile, statusFile } from './paths.js';

/** A registry as the credential helper needs it: where, and as whom. */
export interface ManagedRegistry {
  name: string;
  kind: RegistryKind;
  url: string;
  username?: string;
  /** A `stackit` registry: where its key mints access tokens, and how long one handed to docker must have left. */
  tokenEndpoint?: string;
  minTokenSeconds?: number;
  caFile?: string;
  /** A regenerate's journal is open: a new secret waits to be put in place. */
  journalOpen?: boolean;
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

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Only the fields the helper reads are checked, but those are checked: a hand-edited file gets a sentence, not a stack trace. */
export async function managedRegistries(dir: string): Promise<ManagedRegistry[]> {
  return registriesIn(await readBerthFiles(dir), dir);
}

/** The registries of files already read (`readBerthFiles`) from the Berth home `dir`. */
export function registriesIn({ settings, status }: Awaited<ReturnType<typeof readBerthFiles>>, dir: string): ManagedRegistry[] {
  const registries: unknown = settings.registries ?? [];
  const records: unknown = status.registries ?? {};
  if (!Array.isArray(registries) || !registries.every((registry) => isObject(registry) && typeof registry.name === 'string' && typeof registry.url === 'string')) {
    throw new BerthError('file-parse', `${settingsFile(dir)}: registries must be a list of registries, each with a name and a url. Berth left the file as it is; fix or remove it.`);
  }
  if (!isObject(records)) throw new BerthError('file-parse', `${statusFile(dir)}: registries must be an object. Berth left the file as it is; fix or remove it.`);
  return (registries as Record<string, unknown>[]).map((registry) => {
    const record = records[registry.name as string];
    const username = isObject(record) && typeof record.username === 'string' ? record.username : undefined;
    const kind: RegistryKind = registry.kind === 'token' || registry.kind === 'stackit' ? registry.kind : 'harbor';
    const journalOpen = isObject(record) && typeof record.pendingSecretSince === 'string';
    return {
      name: registry.name as string,
      kind,
      url: registry.url as string,
      ...(username !== undefined ? { username } : {}),
      ...(typeof registry.tokenEndpoint === 'string' ? { tokenEndpoint: registry.tokenEndpoint } : {}),
      ...(typeof registry.minTokenSeconds === 'number' ? { minTokenSeconds: registry.minTokenSeconds } : {}),
      ...(typeof registry.caFile === 'string' ? { caFile: registry.caFile } : {}),
      ...(journalOpen ? { journalOpen } : {}),
    };
  });
}

/** The secret store settings.json names, if it names one it knows. */
export async function savedSecretStore(dir: string): Promise<SecretStoreKind | undefined> {
  return secretStoreIn(await readBerthFiles(dir));
}

/** The secret store named in files already read (`readBerthFiles`). */
export function secretStoreIn({ settings }: Awaited<ReturnType<typeof readBerthFiles>>): SecretStoreKind | undefined {
  const chosen = isObject(settings.preferences) ? settings.preferences.secretStore : undefined;
  return chosen === 'file' || chosen === 'keychain' ? chosen : undefined;
}
