import { configDir } from '../settings/paths.js';
import { readBerthFiles, registriesIn, secretStoreIn } from '../settings/quick-read.js';
import { runCredentialHelper } from './credential-helper.js';
import { cachedAccessToken } from '../stackit/cached-token.js';
import { helperSecretStore, readStdin, reportFailure, write } from './credential-helper-io.js';
import { endProcess } from './end-process.js';
import type { QuickStart } from './quick-start.js';

/**
 * `docker-credential-berth` `get`, `list` and `version`, as docker runs them on every pull: CommonJS with nothing but the
 * settings files and the keychain. Whatever needs Berth's API goes to the full helper as a whole, never half: `store` and
 * `erase` straight from the loader, and a `get` that must first put an interrupted regenerate's secret in place or mint a
 * STACKIT token from here.
 */
class NeedsFullHelper extends Error {}

const needsFull = async (): Promise<never> => {
  throw new NeedsFullHelper();
};

type FullHelper = typeof import('./credential-helper-main.js');

/** Runs `docker-credential-berth`: what needs Berth's API in the full helper, and the compiled code of a `get` that found a secret kept for the next. */
export const start: QuickStart['start'] = ({ full, keep }) => {
  const action = process.argv[2];
  let stdin: string | undefined;
  // Read once: the registries and the secret store's choice come from the same two files (a `get` that must change them hands over).
  let files: ReturnType<typeof readBerthFiles> | undefined;
  const berthFiles = () => (files ??= readBerthFiles(configDir()));
  const secrets = async () => helperSecretStore(secretStoreIn(await berthFiles()));
  const found = (secret: string | null) => {
    if (secret) keep();
    return secret;
  };
  runCredentialHelper(action, {
    stdin: async () => (stdin ??= await readStdin()),
    stdout: write(1),
    stderr: write(2),
    registries: async () => registriesIn(await berthFiles(), configDir()),
    secret: async (registry, kind) => found(await (await secrets()).get(registry, kind, { expected: true })),
    accessToken: async (registry) => found((await cachedAccessToken(registry, await secrets())) ?? null) ?? needsFull(),
    store: needsFull,
    erase: needsFull,
    settle: needsFull,
  }).then(endProcess, async (error: unknown) => {
    if (error instanceof NeedsFullHelper) return ((await full()) as FullHelper).runFullHelper(action, stdin);
    return endProcess(reportFailure(error));
  });
};
