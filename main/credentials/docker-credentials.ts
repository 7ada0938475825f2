import { authsOf, dockerConfigPath, helperFor, matchingAuthKeys, registryKey } from './docker-config.js';
import { helperGet } from './helper-protocol.js';
import { readJsonDocument } from './json-file.js';

/** A credential as docker would send it, and where it came from (never the secret itself in `source`). */
export interface FoundCredential {
  username: string;
  secret: string;
  /** `config.json`, `helper:<name>`, or `berth:<registry>` for registries Berth manages. */
  source: string;
}

/**
 * Where docker gets its credential for a registry, read from its config without running anything: a credential helper
 * (`credHelpers`, else `credsStore`), which only running it tells, else the config's own entry, else nothing.
 */
export type DockerSource = { from: 'helper'; helper: string } | { from: 'config.json'; credential: FoundCredential } | { from: 'nothing' };

export function dockerSourceFor(server: string, env: NodeJS.ProcessEnv): DockerSource {
  const document = readJsonDocument(dockerConfigPath(env));
  const key = registryKey(server);
  const helper = helperFor(document.data, key);
  if (helper) return { from: 'helper', helper };
  const auths = authsOf(document.data);
  for (const alias of matchingAuthKeys(document.data, key)) {
    const entry = auths[alias] as { auth?: unknown; username?: unknown; password?: unknown } | undefined;
    if (typeof entry?.auth === 'string' && entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { from: 'config.json', credential: { username: decoded.slice(0, colon), secret: decoded.slice(colon + 1), source: 'config.json' } };
    }
    if (typeof entry?.username === 'string' && typeof entry.password === 'string') return { from: 'config.json', credential: { username: entry.username, secret: entry.password, source: 'config.json' } };
  }
  return { from: 'nothing' };
}

/** What a credential helper answers for a registry, as docker would ask it. */
export async function helperCredential(helper: string, server: string): Promise<FoundCredential | undefined> {
  const key = registryKey(server);
  const found = await helperGet(helper, key, key);
  return found ? { username: found.Username, secret: found.Secret, source: `helper:${helper}` } : undefined;
}
