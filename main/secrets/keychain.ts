import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { BerthError, errorMessage } from '../errors.js';
import { rememberSecret } from '../log/redact.js';
import type { RegistryKind } from '../settings/model.js';
import { sessionBusSocket } from '../dbus/session-bus.js';
import { fileStoreHint, noSessionBus } from './no-keyring.js';
import { checkSecretService } from './secret-service-probe.js';
import { keytarAccounts, readKeytarEntry, SecretServiceFailure } from './secret-service.js';
import { sha256Hex } from './sha256.js';
import { keychainCallGivenUp } from './stuck-calls.js';

export const keychainService = 'Berth';

/**
 * One keychain entry per registry and kind: a Harbor registry's session and CLI secret, a token registry's token, the
 * registry tokens `berth check` may reuse for a minute, a regenerated secret not yet in place everywhere, and a STACKIT
 * registry's service-account key and the short-lived access token minted with it.
 */
export type SecretKind = 'refresh-token' | 'cli-secret' | 'token' | 'registry-tokens' | 'pending-cli-secret' | 'service-account-key' | 'access-token';
export const secretKinds: readonly SecretKind[] = ['refresh-token', 'cli-secret', 'token', 'registry-tokens', 'pending-cli-secret', 'service-account-key', 'access-token'];

/** The entry that holds the password docker sends for a registry of this kind. */
export function credentialSecretKind(kind: RegistryKind): SecretKind {
  if (kind === 'token') return 'token';
  return kind === 'stackit' ? 'access-token' : 'cli-secret';
}

export interface SecretStore {
  /**
   * The secret, or `null` when there is none. With `expected`, a missing secret Berth stored earlier is told apart from a
   * locked keychain (which also answers "none"): the latter throws `keychain-locked`.
   */
  get(registry: string, kind: SecretKind, options?: { expected?: boolean }): Promise<string | null>;
  set(registry: string, kind: SecretKind, value: string): Promise<void>;
  delete(registry: string, kind: SecretKind): Promise<void>;
  /** The registries this Berth home holds any secret of (to find what no registry in the settings names any more). */
  registries?(): Promise<string[]>;
}

type Keytar = typeof import('keytar');

let keytarModule: Promise<Keytar> | undefined;
let serviceChecked: Promise<void> | undefined;

/**
 * keytar, loaded on first use (the native module is the slowest import Berth has). On Linux the Secret Service is asked
 * first over Berth's own socket: a call keytar starts cannot be abandoned, and one on a silent bus would hang Berth.
 */
function loadKeytar(timeoutMs: number): Promise<Keytar> {
  if (noSessionBus()) {
    return Promise.reject(new BerthError('keychain', `No keyring can answer: this session has no D-Bus (DBUS_SESSION_BUS_ADDRESS is not set), so there is no Secret Service. ${fileStoreHint}`));
  }
  const socket = process.platform === 'linux' ? sessionBusSocket(process.env.DBUS_SESSION_BUS_ADDRESS) : undefined;
  serviceChecked ??= socket ? checkSecretService(socket, Math.min(timeoutMs, 3_000)) : Promise.resolve();
  // Required, not imported: keytar is CommonJS, and an import() would start Node's ES module loader in the quick starts.
  keytarModule ??= serviceChecked.then(() => createRequire(import.meta.url)('keytar') as Keytar);
  return keytarModule;
}

/** Which Berth home an entry belongs to: two homes (two `BERTH_HOME`s, two users of one keychain) never share entries. */
export function homeTag(dir: string): string {
  let real = resolve(dir);
  try {
    real = realpathSync(real);
  } catch {
    // A home not created yet is named by its path.
  }
  return sha256Hex(real).slice(0, 12);
}

/** The keychain account of an entry: `<home tag>/<registry>/<kind>`. */
export function secretAccount(dir: string, registry: string, kind: SecretKind): string {
  return `${homeTag(dir)}/${registry}/${kind}`;
}

/** How entries were named before they carried the home (migrated on first read). */
function legacyAccount(registry: string, kind: SecretKind): string {
  return `${registry}/${kind}`;
}

const unlockHint = 'Unlock it (on Linux: log in to the desktop session, or unlock the "login" keyring with Seahorse or `gnome-keyring-daemon --unlock`); Berth tries again by itself.';

function keychainError(action: string, registry: string, error: unknown): BerthError {
  const message = errorMessage(error);
  if (/locked/i.test(message)) {
    return new BerthError('keychain-locked', `The OS keychain is locked, so Berth could not ${action} the ${registry} credentials. ${unlockHint}`, { registry, cause: error });
  }
  return new BerthError(
    'keychain',
    `Could not ${action} the ${registry} credentials in the OS keychain (${message}). ` +
      `Make sure the keychain is running and unlocked (Linux: gnome-keyring or another Secret Service provider). ${fileStoreHint}`,
    { registry, cause: error },
  );
}

/** What a read over the bus that failed means, in the words a keytar read would have found. */
function secretServiceError(failure: SecretServiceFailure, registry: string, timeoutMs: number): BerthError {
  const seconds = Math.round(timeoutMs / 1000);
  const options = { registry, cause: failure };
  switch (failure.reason) {
    case 'locked':
      return new BerthError('keychain-locked', `The OS keychain is locked, so Berth could not read the ${registry} credentials. ${unlockHint}`, options);
    case 'silent-service':
      return new BerthError('keychain-locked', `The OS keychain did not answer within ${seconds} s when Berth tried to read the ${registry} credentials. ${unlockHint}`, options);
    case 'silent-bus':
      return new BerthError('keychain-locked', `The OS keychain did not answer within ${seconds} s (the session bus or its Secret Service is not answering). Berth could not read the ${registry} credentials.`, options);
    case 'unreachable':
      return new BerthError('keychain-locked', `The OS keychain cannot be reached: ${failure.detail}. Berth could not read the ${registry} credentials.`, options);
    case 'no-service':
      return new BerthError('keychain', `No Secret Service (org.freedesktop.secrets) is running on the session bus: start gnome-keyring, or KeePassXC with its Secret Service on. ${fileStoreHint} Berth could not read the ${registry} credentials.`, options);
    case 'refused':
      return keychainError('read', registry, failure);
  }
}

/** A keychain call that does not answer (a hung D-Bus, a daemon waiting on a prompt) fails after `timeoutMs` instead of hanging Berth. */
function answered<T>(call: Promise<T>, timeoutMs: number, action: string, registry: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      keychainCallGivenUp();
      reject(new BerthError('keychain-locked', `The OS keychain did not answer within ${Math.round(timeoutMs / 1000)} s when Berth tried to ${action} the ${registry} credentials. ${unlockHint}`, { registry }));
    }, timeoutMs);
    timer.unref();
  });
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}

export interface KeychainOptions {
  service?: string;
  /** How long one keychain call may take. */
  timeoutMs?: number;
}

/** The OS keychain (macOS Keychain, Windows Credential Manager, Secret Service on Linux) through keytar, for the Berth home `dir`. */
export function keychain(dir: string, options: KeychainOptions = {}): SecretStore {
  const service = options.service ?? keychainService;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const call = async <T>(action: string, registry: string, use: (keytar: Keytar) => Promise<T>): Promise<T> => {
    try {
      return await answered(loadKeytar(timeoutMs).then(use), timeoutMs, action, registry);
    } catch (error) {
      if (error instanceof BerthError && error.registry === undefined) throw new BerthError(error.code, `${error.message} Berth could not ${action} the ${registry} credentials.`, { registry, cause: error });
      throw error instanceof BerthError ? error : keychainError(action, registry, error);
    }
  };
  const read = (registry: string, account: string) => call('read', registry, (keytar) => keytar.getPassword(service, account));
  // On Linux an entry is read over Berth's own connection to the Secret Service; writes still go through keytar.
  const socket = process.platform === 'linux' && !noSessionBus() ? sessionBusSocket(process.env.DBUS_SESSION_BUS_ADDRESS) : undefined;

  /** This home's entry, else one named the old way (taken over into this home's name): over the bus where there is one. */
  async function lookUp(registry: string, kind: SecretKind): Promise<{ value: string | null; legacy: boolean }> {
    const current = secretAccount(dir, registry, kind);
    const legacy = legacyAccount(registry, kind);
    if (!socket) {
      const value = await read(registry, current);
      if (value !== null) return { value, legacy: false };
      return { value: await read(registry, legacy), legacy: true };
    }
    try {
      const found = await readKeytarEntry(socket, timeoutMs, service, [current, legacy]);
      return { value: found?.value ?? null, legacy: found?.account === legacy };
    } catch (error) {
      throw error instanceof SecretServiceFailure ? secretServiceError(error, registry, timeoutMs) : keychainError('read', registry, error);
    }
  }

  /** A locked Secret Service answers a lookup with "nothing" but refuses to create an item: one probe tells the two apart. */
  async function refuseIfLocked(registry: string): Promise<void> {
    const probe = `${homeTag(dir)}/.probe`;
    await call('read', registry, async (keytar) => {
      await keytar.setPassword(service, probe, 'probe');
      await keytar.deletePassword(service, probe);
    });
  }

  return {
    async get(registry, kind, { expected = false } = {}) {
      const { value, legacy } = await lookUp(registry, kind);
      rememberSecret(value);
      if (value !== null && legacy) {
        await call('store', registry, (keytar) => keytar.setPassword(service, secretAccount(dir, registry, kind), value));
        await call('delete', registry, (keytar) => keytar.deletePassword(service, legacyAccount(registry, kind)));
      }
      // Over the bus a locked item is seen as such; libsecret's lookup answers "nothing" for it.
      if (value === null && expected && !socket) await refuseIfLocked(registry);
      return value;
    },
    async set(registry, kind, value) {
      rememberSecret(value);
      await call('store', registry, (keytar) => keytar.setPassword(service, secretAccount(dir, registry, kind), value));
    },
    // Only this home's entry: an entry named the old way may belong to another Berth home, which takes it over when it reads it.
    async delete(registry, kind) {
      await call('delete', registry, (keytar) => keytar.deletePassword(service, secretAccount(dir, registry, kind)));
    },
    async registries() {
      const prefix = `${homeTag(dir)}/`;
      let accounts: string[];
      try {
        accounts = socket ? await keytarAccounts(socket, timeoutMs, service) : (await call('list', 'Berth', (keytar) => keytar.findCredentials(service))).map(({ account }) => account);
      } catch (error) {
        throw error instanceof SecretServiceFailure ? secretServiceError(error, 'Berth', timeoutMs) : error;
      }
      return [...new Set(accounts.filter((account) => account.startsWith(prefix)).map((account) => account.slice(prefix.length).split('/')[0] as string))];
    },
  };
}

/** Whether the keychain answers, the way a sign-in would use it (doctor's probe): one entry written and deleted. */
export async function keychainProbe(dir: string, options: KeychainOptions = {}): Promise<void> {
  const store = keychain(dir, options);
  await store.set('.doctor', 'registry-tokens', 'probe');
  await store.delete('.doctor', 'registry-tokens');
}
