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
