import { readFileSync, writeSync } from 'node:fs';
import { errorMessage } from '../errors.js';
import { redact } from '../log/redact.js';
import { terminalText } from '../log/printable.js';
import { chosenSecretStore, type ChosenSecretStore } from '../secrets/chosen-store.js';
import { configDir } from '../settings/paths.js';
import type { SecretStoreKind } from '../settings/model.js';
import { HelperFailure } from './credential-helper.js';

/** All of standard input: read at once where the system allows it, which spares loading Node's streams for docker's one line. */
export async function readStdin(): Promise<string> {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text;
  }
}

/** Written straight to the descriptor: process.stdout would load Node's streams for one line. */
export const write = (fd: number) => (text: string) => void writeSync(fd, text);

/** The secret store settings.json chose (`saved`), unless BERTH_SECRET_STORE says otherwise. */
export function helperSecretStore(saved: SecretStoreKind | undefined): ChosenSecretStore {
  // docker waits for this answer on every pull: a keychain that does not answer fails it in seconds.
  return chosenSecretStore(configDir(), process.env, () => saved, { timeoutMs: 5_000 });
}

/** docker prints the helper's stdout as the reason of a failure; stderr is not shown. */
export function reportFailure(error: unknown): number {
  const message = error instanceof HelperFailure ? error.message : errorMessage(error);
  write(1)(`docker-credential-berth: ${terminalText(redact(message))}\n`);
  return 1;
}
