import { BerthError, errorMessage } from '../errors.js';
import { rememberSecret } from '../log/redact.js';
import type { RegistryKind } from '../settings/model.js';

export const keychainService = 'Berth';

/**
 * One keychain entry per registry and kind: a Harbor registry's session and CLI secret, or the token `docker login` gave;
 * and the registry tokens `berth check` may reuse for a minute.
 */
export type SecretKind = 'refresh-token' | 'cli-secret' | 'token' | 'registry-tokens';
export const secretKinds: readonly SecretKind[] = ['refresh-token', 'cli-secret', 'token', 'registry-tokens'];

/** The entry that holds the password docker sends for a registry of this kind. */
export function credentialSecretKind(kind: RegistryKind): SecretKind {
  return kind === 'token' ? 'token' : 'cli-secret';
}

export interface SecretStore {
  get(registry: string, kind: SecretKind): Promise<string | null>;
  set(registry: string, kind: SecretKind, value: string): Promise<void>;
  delete(registry: string, kind: SecretKind): Promise<void>;
}

type Keytar = typeof import('keytar');

let keytarModule: Promise<Keytar> | undefined;
// Loaded on first use: the native module is the slowest import Berth has, and many commands never need it.
function loadKeytar(): Promise<Keytar> {
  keytarModule ??= import('keytar').then((module) => ((module as { default?: Keytar }).default ?? module) as Keytar);
  return keytarModule;
}

function account(registry: string, kind: SecretKind): string {
  return `${registry}/${kind}`;
}

function keychainError(action: string, registry: string, error: unknown): BerthError {
  return new BerthError(
    'keychain',
    `Could not ${action} the ${registry} credentials in the OS keychain (${errorMessage(error)}). ` +
      'Make sure the keychain is running and unlocked (Linux: gnome-keyring or another Secret Service provider).',
    { registry, cause: error },
  );
}

/** The OS keychain (macOS Keychain, Windows Credential Manager, Secret Service on Linux) through keytar. */
export function keychain(service = keychainService): SecretStore {
  return {
    async get(registry, kind) {
      try {
        const value = await (await loadKeytar()).getPassword(service, account(registry, kind));
        rememberSecret(value);
        return value;
      } catch (error) {
        throw keychainError('read', registry, error);
      }
    },
    async set(registry, kind, value) {
      rememberSecret(value);
      try {
        await (await loadKeytar()).setPassword(service, account(registry, kind), value);
      } catch (error) {
        throw keychainError('store', registry, error);
      }
    },
    async delete(registry, kind) {
      try {
        await (await loadKeytar()).deletePassword(service, account(registry, kind));
      } catch (error) {
        throw keychainError('delete', registry, error);
      }
    },
  };
}

/** How many entries Berth has in the keychain; a read that fails the same way a sign-in would (doctor's probe). */
export async function keychainEntryCount(service = keychainService): Promise<number> {
  return (await (await loadKeytar()).findCredentials(service)).length;
}
