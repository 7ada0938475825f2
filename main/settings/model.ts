/** What every registry has, whatever kind of credential it holds. */
interface RegistryBase {
  name: string;
  /** The registry's base URL; its host is the registry host docker uses. */
  url: string;
  caFile?: string;
  /** Days before an expiry at which this registry shows as `expiring`; absent: the preference. */
  warnDays?: number;
  /** `config`: the credential is written into docker's config (or its credential store); `helper`: docker asks Berth on each use. */
  target?: CredentialTarget;
}

/** How Berth gets a Harbor CLI secret: Harbor's own web login (nothing registered anywhere), or Berth's own OIDC client. */
export const harborMethods = ['web', 'oidc'] as const;
export type HarborMethod = (typeof harborMethods)[number];

/** Non-secret settings: what the user configured. Secrets live in the keychain only. */
interface HarborBase extends RegistryBase {
  kind: 'harbor';
  /** The identity provider's offline-session idle window (Keycloak: 30 days). */
  idleDays: number;
  /** Hours between keep-alive passes for this registry; 0 turns keep-alive off; absent: the preference. */
  keepAliveHours?: number;
}

/** Signed in through Harbor's own web login: the CLI secret is read from Harbor's web session, or pasted. */
export interface HarborWebSettings extends HarborBase {
  method: 'web';
  /** The identity provider Harbor's login redirects to, as found when the registry was added; shown, never needed. */
  issuer?: string;
}

/** Signed in through Berth's own client at the identity provider, which an administrator registered. */
export interface HarborOidcSettings extends HarborBase {
  method: 'oidc';
  issuer: string;
  clientId: string;
  scopes: string;
  /** Extra authorization request parameters, e.g. `kc_idp_hint`; `prompt` replaces Berth's `consent` (empty: none). */
  authParams: Record<string, string>;
  /** The loopback port registered at a provider that matches redirect URIs exactly; absent: one the OS picks. */
  loopbackPort?: number;
  /** For providers that end sessions a fixed time after sign-in and do not say when. */
  maxSessionDays?: number;
}

export type HarborRegistrySettings = HarborWebSettings | HarborOidcSettings;

/** A user name and token docker handed to Berth's credential helper (`docker login`); nothing to keep alive. */
export interface TokenRegistrySettings extends RegistryBase {
  kind: 'token';
}

export type RegistrySettings = HarborRegistrySettings | TokenRegistrySettings;
export type RegistryKind = RegistrySettings['kind'];

/** How a registry's credential comes about, as `status` and the window show it: `docker-login` for a token docker handed over. */
export type SignInMethod = HarborMethod | 'docker-login';

export function signInMethodOf(registry: RegistrySettings): SignInMethod {
  return registry.kind === 'harbor' ? registry.method : 'docker-login';
}

/** How docker gets a registry's credential: written into its config (or its credential store), or asked of Berth on each use. */
export type CredentialTarget = 'config' | 'helper';

/** Where Berth keeps secrets: the OS keychain, or (chosen explicitly, for machines without one) a 0600 file. */
export type SecretStoreKind = 'keychain' | 'file';

export interface Preferences {
  keepAliveHours: number;
  warnDays: number;
  /** Where new registries put their credential; changing it in the app moves the Harbor registries too. */
  target: CredentialTarget;
  /** Absent: the OS keychain. */
  secretStore?: SecretStoreKind;
}

export interface SettingsData {
  registries: RegistrySettings[];
  preferences: Preferences;
}

// `keychain-locked`: the OS keychain is locked or not answering; docker's copy may still work, and nothing is known to be expired.
export const registryStates = ['signed-out', 'valid', 'expiring', 'needs-sign-in', 'needs-web-login', 'keychain-locked', 'offline', 'error'] as const;
export type RegistryState = (typeof registryStates)[number];

/** What Berth last learned about a registry; persisted so the CLI, tray and window agree. No secrets. */
export interface RegistryStatusRecord {
  state: RegistryState;
  username?: string;
  userId?: number;
  /** Where the credential was written: `config` (docker's config.json) or `helper:<name>`. */
  writtenTo?: string;
  signedInAt?: string;
  idleDeadline?: string;
  lastKeptAliveAt?: string;
  nextKeepAliveAt?: string;
  sessionExpiresAt?: string;
  /** Berth's own session ends at `sessionExpiresAt` however often it is refreshed (a fixed lifetime). */
  sessionFixed?: boolean;
  /** Something that does not change the state but will need the person (a browser-bound session, a Harbor without offline access, a session the provider kept after sign-out). */
  notice?: string;
  lastError?: string;
  /** The URL that fixes a `needs-web-login` state. */
  actionUrl?: string;
  /** Set while a regenerate's journal is open (a new secret waits in the keychain to be put in place): every reader rolls it forward. */
  pendingSecretSince?: string;
}

export interface StatusData {
  registries: Record<string, RegistryStatusRecord>;
}

/** Registry names: lower-case letters, digits, ".", "_" and "-", up to 63; they name keychain entries and lock files. */
export const registryNamePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const defaultScopes = 'openid profile email offline_access';
export const defaultIdleDays = 30;
export const defaultPreferences: Preferences = { keepAliveHours: 24, warnDays: 3, target: 'config' };
