import { homedir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from './json-file.js';

export const dockerHubKey = 'https://index.docker.io/v1/';
const dockerHubHosts = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, as the docker CLI finds it. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

/** The docker CLI's `ConvertToHostname`: drop the scheme and any path, keep host[:port]. */
export function hostOf(serverAddress: string): string {
  const withoutScheme = serverAddress.replace(/^https?:\/\//i, '');
  return withoutScheme.split('/')[0] ?? withoutScheme;
}

/** The key docker uses in `auths` and with credential helpers for a registry. */
export function registryKey(serverAddress: string): string {
  const host = hostOf(serverAddress).toLowerCase();
  return dockerHubHosts.has(host) ? dockerHubKey : host;
}

/** The same JSON whatever the order of object keys: a rewrite that would change nothing is not a difference. */
export function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(canonical) : isRecord(value) ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key])])) : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function isRecord(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function authsOf(config: JsonObject): JsonObject {
  return isRecord(config.auths) ? config.auths : {};
}

/** Keys in `auths` that docker would match for this registry (`https://host/`, `host`, ...). */
export function matchingAuthKeys(config: JsonObject, key: string): string[] {
  return Object.keys(authsOf(config)).filter((existing) => registryKey(existing) === key);
}

/** The credential helper docker would use for this registry: `credHelpers[host]`, else `credsStore`. */
export function helperFor(config: JsonObject, key: string): string | undefined {
  const helpers = isRecord(config.credHelpers) ? config.credHelpers : {};
  const specific = Object.entries(helpers).find(([host]) => registryKey(host) === key)?.[1];
  if (typeof specific === 'string' && specific) return specific;
  return typeof config.credsStore === 'string' && config.credsStore ? config.credsStore : undefined;
}

// The name docker derives `docker-credential-berth` from.
export const berthHelper = 'berth';

// Fields of an auths entry that hold a credential; anything else in the entry (e.g. "email") is kept.
const credentialFields = ['auth', 'username', 'password', 'identitytoken', 'registrytoken'];

function withoutCredential(entry: unknown): JsonObject {
  const kept: JsonObject = entry !== null && typeof entry === 'object' && !Array.isArray(entry) ? { ...(entry as JsonObject) } : {};
  for (const field of credentialFields) delete kept[field];
  return kept;
}

/** config.json with `credHelpers[key]` set to Berth, or without Berth's entry for the key. */
export function withBerthHelper(config: JsonObject, key: string, on: boolean): JsonObject {
  const helpers = { ...(isRecord(config.credHelpers) ? config.credHelpers : {}) };
  const ours = Object.keys(helpers).filter((host) => registryKey(host) === key && helpers[host] === berthHelper);
  if (!on && ours.length === 0) return config;
  for (const host of ours) delete helpers[host];
  if (on) helpers[key] = berthHelper;
  return { ...config, credHelpers: helpers };
}

/** config.json with the one registry's auths entry replaced (or removed); aliases of the same host go too. */
export function withAuthEntry(config: JsonObject, key: string, entry: JsonObject | undefined, aliases = matchingAuthKeys(config, key)): JsonObject {
  const auths = { ...authsOf(config) };
  const previous = auths[key] ?? aliases.map((alias) => auths[alias]).find(Boolean);
  for (const alias of aliases) delete auths[alias];
  if (entry) auths[key] = { ...withoutCredential(previous), ...entry };
  return { ...config, auths };
}
