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
  /** The user name to sign in as next (Harbor's web login offers it); the signed-in user is in the status. */
  username?: string;
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

/** Where to get a new token when a registry rejects the one Berth holds: a sentence, and a page when there is one. */
export interface TokenPointer {
  where: string;
  url?: string;
}

/** A user name and token (robot account, personal access token, vendor token): checked daily, warned about, replaced. */
export interface TokenRegistrySettings extends RegistryBase {
  kind: 'token';
  /** What the token is for, as the person described it at the registry (e.g. `laptop-7, added by Berth 2026-11-22`). */
  note?: string;
  /** Hours between checks of the token; 0 turns them off; absent: the preference. */
  keepAliveHours?: number;
  /** Where to get a new token, from a registry profile; absent: Berth's table of known registries. */
  pointer?: TokenPointer;
  /** `docker login` stored it through docker-credential-berth, rather than `berth add token`. */
  fromDockerLogin?: boolean;
}

/** A STACKIT service account's key (in the keychain) mints short-lived access tokens that the registry accepts as passwords. */
export interface StackitRegistrySettings extends RegistryBase {
  kind: 'stackit';
  /** The token endpoint the key's assertions go to (the SDK's precedence: given, `STACKIT_TOKEN_BASEURL`, the key's own, the default). */
  tokenEndpoint: string;
  /** A token handed to docker has at least this many seconds left; default 300 (the five minutes). */
  minTokenSeconds?: number;
  /** Hours between checks of the key when nothing else mints a token; absent: the preference. */
  keepAliveHours?: number;
}

export type RegistrySettings = HarborRegistrySettings | TokenRegistrySettings | StackitRegistrySettings;
export type RegistryKind = RegistrySettings['kind'];

/** How a registry's credential comes about, as `status` and the window show it. */
export type SignInMethod = HarborMethod | 'token' | 'stackit';

export function signInMethodOf(registry: RegistrySettings): SignInMethod {
  return registry.kind === 'harbor' ? registry.method : registry.kind;
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
// `rejected`: the registry no longer accepts the token or key Berth holds (expired or revoked); only a new one fixes it.
export const registryStates = ['signed-out', 'valid', 'expiring', 'needs-sign-in', 'needs-web-login', 'rejected', 'keychain-locked', 'offline', 'error'] as const;
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
  /** Whether Harbor's token service accepted the CLI secret when Berth last used it: docker's credential works. */
  secretAccepted?: boolean;
  /** Berth's own session when it is no offline one: `none` (no refresh token) or `browser` (bound to the browser's sign-in); shown as `expiring`. */
  berthSession?: 'none' | 'browser';
  /** Something that does not change the state but will need the person (a browser-bound session, a Harbor without offline access, a session the provider kept after sign-out). */
  notice?: string;
  lastError?: string;
  /** The URL that fixes a `needs-web-login` or `rejected` state. */
  actionUrl?: string;
  /** When the token (or the service-account key) stops working and Berth cannot renew it; absent: not known. */
  expiresAt?: string;
  /** Where `expiresAt` comes from: a date the person gave, the token's own `exp`, Harbor's robot record, the key file. */
  expirySource?: ExpirySource;
  /** When docker's current short-lived access token (a `stackit` registry) expires. */
  accessTokenExpiresAt?: string;
  /** Set while a regenerate's journal is open (a new secret waits in the keychain to be put in place): every reader rolls it forward. */
  pendingSecretSince?: string;
  /** Since when another program keeps changing the credential in the targets back: passes leave them alone until `berth refresh` or a sign-in. */
  contestedSince?: string;
}

export const expirySources = ['given', 'jwt', 'harbor', 'key'] as const;
export type ExpirySource = (typeof expirySources)[number];

export interface StatusData {
  registries: Record<string, RegistryStatusRecord>;
}

/** Registry names: lower-case letters, digits, ".", "_" and "-", up to 63; they name keychain entries and lock files. */
export const registryNamePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const defaultScopes = 'openid profile email offline_access';
export const defaultIdleDays = 30;
/** What an access token handed to docker has left at least, unless the registry says otherwise: five minutes. */
export const defaultMinTokenSeconds = 300;
export const defaultPreferences: Preferences = { keepAliveHours: 24, warnDays: 3, target: 'config' };
