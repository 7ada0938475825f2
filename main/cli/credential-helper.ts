import { hostOf, registryKey } from '../credentials/docker-config.js';
import type { DockerLogin } from '../api/contract.js';
import type { ManagedRegistry } from '../settings/quick-read.js';
import { credentialSecretKind, type SecretKind } from '../secrets/keychain.js';
import { berthVersion } from './version.js';

export interface HelperIo {
  stdin: () => Promise<string>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  registries: () => Promise<ManagedRegistry[]>;
  /** A registry's secret from the keychain. */
  secret: (registry: string, kind: SecretKind) => Promise<string | null>;
  /** A `stackit` registry's access token with enough time left: the cached one, or one minted now under the registry's lock. */
  accessToken: (registry: ManagedRegistry) => Promise<string>;
  /** Keeps what `docker login` handed over; returns the Berth registry's name. */
  store: (login: DockerLogin) => Promise<string>;
  /** Forgets what `docker login` stored; returns the Berth registry's name, or null when there was none. */
  erase: (serverUrl: string) => Promise<string | null>;
  /** Puts in place the new secret an interrupted regenerate of this registry left waiting. */
  settle: (registry: string) => Promise<void>;
}

// docker matches this exact text to tell "no credentials" from a failure.
const notFound = 'credentials not found in native keychain';

/** A failure of the protocol: docker shows the helper's stdout in its error message, so the one line goes there. */
export class HelperFailure extends Error {}

function parseLogin(text: string): DockerLogin {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HelperFailure('store expects {"ServerURL","Username","Secret"} as JSON on stdin');
  }
  const { ServerURL, Username, Secret } = (value ?? {}) as Record<string, unknown>;
  if (typeof ServerURL !== 'string' || !ServerURL.trim()) throw new HelperFailure('store needs a non-empty "ServerURL"');
  if (typeof Username !== 'string') throw new HelperFailure('store needs "Username"');
  if (typeof Secret !== 'string' || !Secret) throw new HelperFailure('store needs a non-empty "Secret"');
  return { serverUrl: ServerURL.trim(), username: Username, secret: Secret };
}

/** docker's credential-helper protocol over the registries Berth manages; `get` and `list` use no network and no settings library. */
export async function runCredentialHelper(action: string | undefined, io: HelperIo): Promise<number> {
  switch (action) {
    case 'version':
      io.stdout(`docker-credential-berth ${berthVersion()}\n`);
      return 0;
    case 'get': {
      const key = registryKey((await io.stdin()).trim());
      let registry = (await io.registries()).find((candidate) => registryKey(hostOf(candidate.url)) === key);
      // Rare: an interrupted regenerate left a new secret waiting; docker gets the one Harbor has once it is in place.
      if (registry?.journalOpen) {
        await io.settle(registry.name);
        registry = (await io.registries()).find((candidate) => candidate.name === registry?.name);
      }
      const username = registry?.username;
      const secret = !registry || username === undefined ? null : registry.kind === 'stackit' ? await io.accessToken(registry) : await io.secret(registry.name, credentialSecretKind(registry.kind));
      if (!registry || username === undefined || !secret) {
        io.stdout(`${notFound}\n`);
        return 1;
      }
      io.stdout(JSON.stringify({ ServerURL: key, Username: username, Secret: secret }));
      return 0;
    }
    case 'list': {
      const listed: Record<string, string> = {};
      for (const registry of await io.registries()) if (registry.username !== undefined) listed[registryKey(hostOf(registry.url))] = registry.username;
      io.stdout(JSON.stringify(listed));
      return 0;
    }
    case 'store': {
      const login = parseLogin(await io.stdin());
      const name = await io.store(login);
      io.stderr(`docker-credential-berth: kept the login for ${registryKey(login.serverUrl)} as Berth registry "${name}".\n`);
      return 0;
    }
    case 'erase': {
      const serverUrl = (await io.stdin()).trim();
      const name = await io.erase(serverUrl);
      if (name === null) {
        io.stdout(`${notFound}\n`);
        return 1;
      }
      io.stderr(`docker-credential-berth: removed Berth registry "${name}".\n`);
      return 0;
    }
    default:
      io.stderr('Usage: docker-credential-berth <get|store|erase|list|version>\n');
      return 64;
  }
}
