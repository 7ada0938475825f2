import { errorMessage } from '../errors.js';
import { redact } from '../log/redact.js';
import { chosenSecretStore } from '../secrets/chosen-store.js';
import { configDir } from '../settings/paths.js';
import { managedRegistries, savedSecretStore } from '../settings/quick-read.js';
import { HelperFailure, runCredentialHelper } from './credential-helper.js';
import { endProcess } from './end-process.js';
import { terminalText } from '../log/printable.js';

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

// `store` and `erase` change settings, so only they load the full API; `get` stays light.
const api = async () => (await import('../api/node.js')).createNodeApi();

const code = await runCredentialHelper(process.argv[2], {
  stdin: readStdin,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  registries: () => managedRegistries(configDir()),
  // docker waits for this answer on every pull: a keychain that does not answer fails it in seconds.
  secret: async (registry, kind) => {
    const saved = await savedSecretStore(configDir());
    return chosenSecretStore(configDir(), process.env, () => saved, { timeoutMs: 5_000 }).get(registry, kind, { expected: true });
  },
  store: async (login) => (await (await api()).storeDockerLogin(login)).name,
  erase: async (serverUrl) => (await api()).eraseDockerLogin(serverUrl),
  // A pass that cannot finish (offline) is recorded in the status; docker still gets the secret the keychain holds.
  settle: async (registry) => (await api()).settleJournals([registry]),
}).catch((error: unknown) => {
  const message = error instanceof HelperFailure ? error.message : errorMessage(error);
  // docker prints the helper's stdout as the reason; stderr is not shown.
  process.stdout.write(`docker-credential-berth: ${terminalText(redact(message))}\n`);
  return 1;
});
// Exit once the answer is out: a keychain call that never returned must not hold docker up.
process.stdout.write('', () => endProcess(code));
