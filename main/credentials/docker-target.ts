import { authsOf, dockerConfigPath, helperFor, matchingAuthKeys, registryKey } from './docker-config.js';
import { helperErase, helperStore } from './helper-protocol.js';
import { readJsonDocument, writeJsonDocument, type JsonObject } from './json-file.js';

export interface DockerCredential {
  /** Registry host or URL; normalised the way docker does. */
  server: string;
  username: string;
  secret: string;
}

/** Where a credential went: `config` (auths in config.json) or `helper:<name>`. */
export type WrittenTo = 'config' | `helper:${string}`;

/** How docker gets a registry's credential: written into its config (or its credential store), or asked of Berth on each use. */
export type CredentialTarget = 'config' | 'helper';

// The name docker derives `docker-credential-berth` from.
export const berthHelper = 'berth';

// Fields of an auths entry that hold a credential; anything else in the entry (e.g. "email") is kept.
const credentialFields = ['auth', 'username', 'password', 'identitytoken', 'registrytoken'];

function withoutCredential(entry: unknown): JsonObject {
  const kept: JsonObject = entry !== null && typeof entry === 'object' && !Array.isArray(entry) ? { ...(entry as JsonObject) } : {};
  for (const field of credentialFields) delete kept[field];
  return kept;
}

function isRecord(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** config.json with `credHelpers[key]` set to Berth, or without Berth's entry for the key. */
function withBerthHelper(config: JsonObject, key: string, on: boolean): JsonObject {
  const helpers = { ...(isRecord(config.credHelpers) ? config.credHelpers : {}) };
  const ours = Object.keys(helpers).filter((host) => registryKey(host) === key && helpers[host] === berthHelper);
  if (!on && ours.length === 0) return config;
  for (const host of ours) delete helpers[host];
  if (on) helpers[key] = berthHelper;
  return { ...config, credHelpers: helpers };
}

/** config.json with the one registry's auths entry replaced (or removed); aliases of the same host go too. */
function withAuthEntry(config: JsonObject, key: string, entry: JsonObject | undefined): JsonObject {
  const auths = { ...authsOf(config) };
  const previous = auths[key] ?? matchingAuthKeys(config, key).map((alias) => auths[alias]).find(Boolean);
  for (const alias of matchingAuthKeys(config, key)) delete auths[alias];
  if (entry) auths[key] = { ...withoutCredential(previous), ...entry };
  return { ...config, auths };
}

/** The docker credentials target: `config.json` auths, or the credential helper docker is configured to use. */
export class DockerCredentialsTarget {
  constructor(readonly env: NodeJS.ProcessEnv = process.env) {}

  get configPath(): string {
    return dockerConfigPath(this.env);
  }

  async store(credential: DockerCredential, registry: string, target: CredentialTarget = 'config'): Promise<WrittenTo> {
    const document = readJsonDocument(this.configPath);
    const key = registryKey(credential.server);
    if (target === 'helper') {
      // docker asks docker-credential-berth on each use; no copy of the secret stays in config.json.
      writeJsonDocument(document, withAuthEntry(withBerthHelper(document.data, key, true), key, undefined));
      return `helper:${berthHelper}`;
    }
    const data = withBerthHelper(document.data, key, false);
    const helper = helperFor(data, key);
    if (helper) {
      await helperStore(helper, { ServerURL: key, Username: credential.username, Secret: credential.secret }, registry);
      // docker keeps an empty entry so `docker` commands still list the registry as logged in.
      writeJsonDocument(document, withAuthEntry(data, key, {}));
      return `helper:${helper}`;
    }
    const auth = Buffer.from(`${credential.username}:${credential.secret}`).toString('base64');
    writeJsonDocument(document, withAuthEntry(data, key, { auth }));
    return 'config';
  }

  async erase(server: string, registry: string): Promise<void> {
    const document = readJsonDocument(this.configPath);
    const key = registryKey(server);
    const helper = helperFor(document.data, key);
    if (helper && helper !== berthHelper) await helperErase(helper, key, registry);
    const data = withBerthHelper(document.data, key, false);
    if (data !== document.data || matchingAuthKeys(document.data, key).length > 0) writeJsonDocument(document, withAuthEntry(data, key, undefined));
  }
}
