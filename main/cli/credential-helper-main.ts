import { defaultMinTokenSeconds } from '../settings/model.js';
import { configDir, lockDir } from '../settings/paths.js';
import { managedRegistries, savedSecretStore, type ManagedRegistry } from '../settings/quick-read.js';
import { runCredentialHelper } from './credential-helper.js';
import { cachedAccessToken } from '../stackit/cached-token.js';
import { helperSecretStore, readStdin, reportFailure, write } from './credential-helper-io.js';
import { endProcess } from './end-process.js';

// What the quick helper hands over: `store`, `erase`, and the rare `get` that must change something first.
const api = async () => (await import('../api/node.js')).createNodeApi();

/** A STACKIT registry's access token: a cached one costs a keychain read; minting (rare) takes the registry's lock, so processes never mint side by side. */
async function accessToken(registry: ManagedRegistry): Promise<string> {
  const secrets = helperSecretStore(await savedSecretStore(configDir()));
  const cached = await cachedAccessToken(registry, secrets);
  if (cached) return cached;
  if (!registry.tokenEndpoint) throw new Error(`${registry.name} has no token endpoint in Berth's settings: add it again with \`berth add stackit\`.`);
  const [{ freshAccessToken }, { RegistryLocks }] = await Promise.all([import('../stackit/access-token.js'), import('../keepalive/registry-lock.js')]);
  const source = { name: registry.name, tokenEndpoint: registry.tokenEndpoint, caFile: registry.caFile, minTokenSeconds: registry.minTokenSeconds ?? defaultMinTokenSeconds };
  try {
    return (await new RegistryLocks(lockDir(configDir())).withLock(registry.name, () => freshAccessToken(source, secrets))).token;
  } catch (error) {
    // A key STACKIT no longer knows: the registry's state says so at once (a pass records it), not at tomorrow's check.
    if ((error as { code?: unknown }).code === 'rejected') await (await api()).refresh(registry.name).catch(() => undefined);
    throw error;
  }
}

/**
 * The whole credential helper, with Berth's API: run by the quick helper (`credential-helper-quick`) for what it cannot
 * answer alone, with the standard input it already read. It ends the process.
 */
export async function runFullHelper(action: string | undefined, stdin?: string): Promise<never> {
  const code = await runCredentialHelper(action, {
    stdin: stdin === undefined ? readStdin : async () => stdin,
    stdout: write(1),
    stderr: write(2),
    registries: () => managedRegistries(configDir()),
    secret: async (registry, kind) => helperSecretStore(await savedSecretStore(configDir())).get(registry, kind, { expected: true }),
    accessToken,
    store: async (login) => (await (await api()).storeDockerLogin(login)).name,
    erase: async (serverUrl) => (await api()).eraseDockerLogin(serverUrl),
    // A pass that cannot finish (offline) is recorded in the status; docker still gets the secret the keychain holds.
    settle: async (registry) => (await api()).settleJournals([registry]),
  }).catch(reportFailure);
  // The answer is out (written synchronously): a keychain call that never returned must not hold docker up.
  return endProcess(code);
}

/** The full helper for a command the quick start does not answer at all (`store`, `erase`): it reads its own input. */
export function main(): Promise<never> {
  return runFullHelper(process.argv[2]);
}
