import { configDir } from '../settings/paths.js';
import { managedRegistries } from '../settings/quick-read.js';
import { runCredentialHelper } from './credential-helper.js';
import { cachedAccessToken, helperSecretStore, readStdin, reportFailure, write } from './credential-helper-io.js';
import { endProcess } from './end-process.js';

/**
 * `docker-credential-berth`, as docker runs it on every pull: CommonJS with nothing but the settings files and the keychain,
 * so it starts nearly as fast as Node itself. Whatever needs Berth's API (`store`, `erase`, a `get` that must first put
 * an interrupted regenerate's secret in place or mint a STACKIT token) goes to the full helper as a whole, never half.
 */
class NeedsFullHelper extends Error {}

const needsFull = async (): Promise<never> => {
  throw new NeedsFullHelper();
};

const action = process.argv[2];
let stdin: string | undefined;

runCredentialHelper(action, {
  stdin: async () => (stdin ??= await readStdin()),
  stdout: write(1),
  stderr: write(2),
  registries: () => managedRegistries(configDir()),
  secret: async (registry, kind) => (await helperSecretStore()).get(registry, kind, { expected: true }),
  accessToken: async (registry) => (await cachedAccessToken(registry, await helperSecretStore())) ?? needsFull(),
  store: needsFull,
  erase: needsFull,
  settle: needsFull,
}).then(endProcess, async (error: unknown) => {
  // An ES module of the split build (dist/cli): loaded only here, so a plain `get` never starts Node's ES module loader.
  if (error instanceof NeedsFullHelper) return (await import('./credential-helper-main.js')).runFullHelper(action, stdin);
  return endProcess(reportFailure(error));
});
