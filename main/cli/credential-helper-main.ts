import { readFileSync, writeSync } from 'node:fs';
import { errorMessage } from '../errors.js';
import { redact } from '../log/redact.js';
import { chosenSecretStore } from '../secrets/chosen-store.js';
import { configDir, lockDir } from '../settings/paths.js';
import { managedRegistries, savedSecretStore, type ManagedRegistry } from '../settings/quick-read.js';
import { HelperFailure, runCredentialHelper } from './credential-helper.js';
import { endProcess } from './end-process.js';
import { terminalText } from '../log/printable.js';

/** All of standard input: read at once where the system allows it, which spares loading Node's streams for docker's one line. */
async function readStdin(): Promise<string> {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text;
  }
}

/** Written straight to the descriptor: process.stdout would load Node's streams for one line. */
const write = (fd: number) => (text: string) => void writeSync(fd, text);

// `store` and `erase` change settings, so only they load the full API; `get` stays light.
const api = async () => (await import('../api/node.js')).createNodeApi();

const secretStore = async () => {
  const saved = await savedSecretStore(configDir());
  return chosenSecretStore(configDir(), process.env, () => saved, { timeoutMs: 5_000 });
};

/** A STACKIT registry's access token: a cached one costs a keychain read; minting (rare) takes the registry's lock, so processes never mint side by side. */
async function accessToken(registry: ManagedRegistry): Promise<string> {
  const [{ usableToken }, { defaultMinTokenSeconds }, secrets] = await Promise.all([import('../stackit/cached-token.js'), import('../settings/model.js'), secretStore()]);
  if (!registry.tokenEndpoint) throw new Error(`${registry.name} has no token endpoint in Berth's settings: add it again with \`berth add stackit\`.`);
  const source = { name: registry.name, tokenEndpoint: registry.tokenEndpoint, caFile: registry.caFile, minTokenSeconds: registry.minTokenSeconds ?? defaultMinTokenSeconds };
  const cached = usableToken(await secrets.get(registry.name, 'access-token'), source.minTokenSeconds, Date.now());
  if (cached) return cached.token;
  const [{ freshAccessToken }, { RegistryLocks }] = await Promise.all([import('../stackit/access-token.js'), import('../keepalive/registry-lock.js')]);
  try {
    return (await new RegistryLocks(lockDir(configDir())).withLock(registry.name, () => freshAccessToken(source, secrets))).token;
  } catch (error) {
    // A key STACKIT no longer knows: the registry's state says so at once (a pass records it), not at tomorrow's check.
    if ((error as { code?: unknown }).code === 'rejected') await (await api()).refresh(registry.name).catch(() => undefined);
    throw error;
  }
}

const code = await runCredentialHelper(process.argv[2], {
  stdin: readStdin,
  stdout: write(1),
  stderr: write(2),
  registries: () => managedRegistries(configDir()),
  // docker waits for this answer on every pull: a keychain that does not answer fails it in seconds.
  secret: async (registry, kind) => (await secretStore()).get(registry, kind, { expected: true }),
  accessToken,
  store: async (login) => (await (await api()).storeDockerLogin(login)).name,
  erase: async (serverUrl) => (await api()).eraseDockerLogin(serverUrl),
  // A pass that cannot finish (offline) is recorded in the status; docker still gets the secret the keychain holds.
  settle: async (registry) => (await api()).settleJournals([registry]),
}).catch((error: unknown) => {
  const message = error instanceof HelperFailure ? error.message : errorMessage(error);
  // docker prints the helper's stdout as the reason; stderr is not shown.
  write(1)(`docker-credential-berth: ${terminalText(redact(message))}\n`);
  return 1;
});
// The answer is out (written synchronously): a keychain call that never returned must not hold docker up.
endProcess(code);
