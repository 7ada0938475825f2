import { BerthError } from '../errors.js';
import type { SecretStoreKind } from '../settings/model.js';
import { keychain, type KeychainOptions, type SecretStore } from './keychain.js';

/** The file store, loaded on first use: the credential helper of a machine with a keychain never needs its file locks. */
function fileStore(dir: string): SecretStore {
  const loaded = () => import('./file-store.js').then(({ fileSecretStore }) => fileSecretStore(dir));
  return {
    get: async (registry, kind, options) => (await loaded()).get(registry, kind, options),
    set: async (registry, kind, value) => (await loaded()).set(registry, kind, value),
    delete: async (registry, kind) => (await loaded()).delete(registry, kind),
    registries: async () => (await loaded()).registries?.() ?? [],
  };
}

/** BERTH_SECRET_STORE wins over the saved choice; the OS keychain is the default. */
export function secretStoreKind(env: NodeJS.ProcessEnv, saved: SecretStoreKind | undefined): SecretStoreKind {
  const given = env.BERTH_SECRET_STORE;
  if (given === undefined || given === '') return saved ?? 'keychain';
  if (given === 'keychain' || given === 'file') return given;
  throw new BerthError('invalid-setting', `BERTH_SECRET_STORE is "${given.slice(0, 40)}"; it must be "keychain" or "file".`);
}

/** The store in use, and both stores by name (for moving secrets from one to the other). */
export interface ChosenSecretStore extends SecretStore {
  kind(): SecretStoreKind;
  /** Whether BERTH_SECRET_STORE decides, whatever settings.json says. */
  fromEnvironment: boolean;
  stores: Record<SecretStoreKind, SecretStore>;
}

/**
 * The secret store the person chose, asked at every call: another process (`berth config secret-store`) may change the
 * choice while this one runs, and all of Berth's processes must keep one copy of each secret in one place.
 */
export function chosenSecretStore(dir: string, env: NodeJS.ProcessEnv, saved: () => SecretStoreKind | undefined, options: KeychainOptions = {}): ChosenSecretStore {
  const stores: Record<SecretStoreKind, SecretStore> = { keychain: keychain(dir, options), file: fileStore(dir) };
  const kind = () => secretStoreKind(env, saved());
  return {
    kind,
    fromEnvironment: Boolean(env.BERTH_SECRET_STORE),
    stores,
    get: (registry, secret, options) => stores[kind()].get(registry, secret, options),
    set: (registry, secret, value) => stores[kind()].set(registry, secret, value),
    delete: (registry, secret) => stores[kind()].delete(registry, secret),
  };
}
