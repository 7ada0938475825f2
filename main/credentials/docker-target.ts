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

// Fields of an auths entry that hold a credential; anything else in the entry (e.g. "email") is kept.
const credentialFields = ['auth', 'username', 'password', 'identitytoken', 'registrytoken'];

function withoutCredential(entry: unknown): JsonObject {
  const kept: JsonObject = entry !== null && typeof entry === 'object' && !Array.isArray(entry) ? { ...(entry as JsonObject) } : {};
  for (const field of credentialFields) delete kept[field];
  return kept;
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

  async store(credential: DockerCredential, registry: string): Promise<WrittenTo> {
    const document = readJsonDocument(this.configPath);
    const key = registryKey(credential.server);
    const helper = helperFor(document.data, key);
    if (helper) {
      await helperStore(helper, { ServerURL: key, Username: credential.username, Secret: credential.secret }, registry);
      // docker keeps an empty entry so `docker` commands still list the registry as logged in.
      writeJsonDocument(document, withAuthEntry(document.data, key, {}));
      return `helper:${helper}`;
    }
    const auth = Buffer.from(`${credential.username}:${credential.secret}`).toString('base64');
    writeJsonDocument(document, withAuthEntry(document.data, key, { auth }));
    return 'config';
  }

  async erase(server: string, registry: string): Promise<void> {
    const document = readJsonDocument(this.configPath);
    const key = registryKey(server);
    const helper = helperFor(document.data, key);
    if (helper) await helperErase(helper, key, registry);
    if (matchingAuthKeys(document.data, key).length > 0) writeJsonDocument(document, withAuthEntry(document.data, key, undefined));
  }
}
