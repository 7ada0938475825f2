import type { AddRegistryInput, MethodAbilities } from '../api/contract.js';
import type { WrittenTo } from '../credentials/docker-target.js';
import type { HarborWebWindows } from '../harbor/web-windows.js';
import type { DeviceCode } from '../oidc/device.js';
import type { BrowserOpener } from '../oidc/provider.js';
import type { SecretKind, SecretStore } from '../secrets/keychain.js';
import { signInMethodOf, type ExpirySource, type Preferences, type RegistrySettings, type SignInMethod } from '../settings/model.js';

/** What a sign-in yields, whatever the method: the secret docker sends, and whether the registry accepts it now. */
export interface SignedIn {
  host: string;
  username: string;
  userId?: number;
  /** The password docker sends: Harbor's CLI secret, a token, or a minted access token. */
  cliSecret: string;
  /** Whether the registry accepts the secret now; `false` when Harbor's own session is dead. */
  accepted: boolean;
  /** Berth's own session at the identity provider (method `oidc`), kept in the keychain. */
  refreshToken?: string;
  /** Other secrets the method keeps in the keychain before anything else (a service-account key). */
  keep?: { kind: SecretKind; value: string }[];
  sessionExpiresAt?: Date;
  /** When the token or key stops working, if known, and how Berth knows. */
  expiresAt?: Date;
  expirySource?: ExpirySource;
  /** When the minted access token (the secret above) expires. */
  accessTokenExpiresAt?: Date;
  /** The page that fixes a secret the registry does not accept (Harbor's web login). */
  webLoginUrl?: string;
  /** What the person is told once it is stored, instead of the Harbor sentence. */
  message?: string;
  /** Berth's own session ends at `sessionExpiresAt` however often it is refreshed. */
  sessionFixed?: boolean;
  /** Berth's own session when it is no offline one: no refresh token at all, or one bound to the browser's sign-in. */
  berthSession?: 'none' | 'browser';
  /** What works now but will need the person later, in sentences. */
  notices: string[];
}

/** What Berth knows of a signed-in registry when a keep-alive pass starts. */
export interface SignedInSession {
  username?: string;
  signedInAt?: Date;
  /** When Berth's own session ends, as last learned, and when that was learned. */
  sessionExpiresAt?: Date;
  renewedAt?: Date;
  /** The sign-in gave Berth no offline session (see `SignedIn.berthSession`). */
  berthSession?: 'none' | 'browser';
}

/** The device sign-in (RFC 8628) of Berth's own client: asked for, or chosen where no browser can open. */
export interface DeviceSignInChoice {
  /** `always`: the person asked for it (`--device`); `no-browser`: no browser can open here (`reason` says why); `fallback`: only if opening the browser fails. */
  when: 'always' | 'no-browser' | 'fallback';
  reason?: string;
  /** Shows the verification URL and the code to type there. */
  show(code: DeviceCode): void | Promise<void>;
  /** Tells the person to open a page in a browser of theirs (Harbor's web login, when Harbor's own session must be revived too). */
  openElsewhere(url: string): Promise<void>;
}

export interface SignInRequest<T> {
  /** The system browser (app), `--browser-command` (CLI), a driver (tests). */
  openBrowser: BrowserOpener;
  timeoutMs: number;
  /** Called when the browser is back with a code (method `oidc`); the rest is Berth's own work. */
  onCallback?: () => void;
  /** A username and CLI secret the person copied from Harbor's User Profile (method `web` without Berth's window). */
  pasted?: { username: string; secret: string; expiresAt?: string };
  /** Method `oidc`: when to sign in with a code on another device instead of the browser here. */
  device?: DeviceSignInChoice;
  /** Aborted when the person gives up on this sign-in (e.g. to paste the secret instead): the window or listener closes. */
  signal?: AbortSignal;
  /** Stores the result (keychain, credential targets, status); its message is shown where the person signed in. */
  complete(signedIn: SignedIn): Promise<{ value: T; message: string }>;
}

export interface MethodDependencies {
  secrets: SecretStore;
  /** Writes a secret to every credential target of the registry. */
  writeCredential(username: string, secret: string): Promise<WrittenTo>;
  /** Berth's windows onto Harbor's web UI; only the app (and tests) have them. */
  webWindows?: HarborWebWindows;
  /** How long a person may take in a sign-in window. */
  signInTimeoutMs: number;
  /** Runs `work` holding the registry's lock (one refresh or secret change at a time, across processes). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** How long to wait before asking Harbor again about a rejected secret (a brief failure of Harbor's own refresh looks the same). */
  recheckDelayMs: number;
  /** Marks a regenerate's journal open (before Harbor is changed) and closed (once the new secret is in place or never reached Harbor), where every reader sees it. */
  journal: { open(): void; close(): void };
}

/** What a keep-alive pass or a regeneration found out; network faults are thrown instead (offline is not expired). */
export interface SessionOutcome {
  /** `offline` or `error`: Berth's own session could not be renewed, though Harbor's may have been kept alive. */
  state: 'valid' | 'needs-sign-in' | 'needs-web-login' | 'rejected' | 'offline' | 'error';
  /** Set when Harbor accepted the CLI secret, which refreshed its stored session. */
  keptAlive: boolean;
  /** When Berth's own session ends, if the identity provider says; `null`: it answered and states no end (an end known before is gone). */
  sessionExpiresAt?: Date | null;
  sessionFixed?: boolean;
  lastError?: string;
  actionUrl?: string;
  username: string;
  /** Set when the credential targets were rewritten with a new secret. */
  writtenTo?: WrittenTo;
  /** The token's or key's end as the registry says it now (`null`: never), and how Berth knows. */
  expiresAt?: Date | null;
  expirySource?: ExpirySource;
  accessTokenExpiresAt?: Date;
}

/** What adding a registry needs from the API: the preferences, and a check that no other registry has the host. */
export interface AddContext {
  preferences: Preferences;
  /** Throws when Berth already manages this registry host under another name. */
  requireFreeHost(host: string): void;
  now: () => Date;
}

/** A registry's settings built from what the person gave, what they should know, and (tokens, keys) the credential already checked. */
export interface Prepared {
  registry: RegistrySettings;
  warnings: string[];
  /** The activity line for the new registry. */
  added: string;
  /** Set when adding also signed in: a secret the registry accepted, to store now. */
  signedIn?: SignedIn;
}

export interface SignOutOutcome {
  /** Whether the identity provider confirmed Berth's session is revoked. */
  revoked: boolean;
  warnings: string[];
}

/**
 * One way of getting and keeping a registry's credential. The API asks the registry's method and knows none of
 * their details; what each can do is in `abilities`, so the window, the tray and the CLI ask the same table.
 */
export interface CredentialMethod<R extends RegistrySettings = RegistrySettings> {
  readonly name: SignInMethod;
  /** Checks what the person gave and builds the registry's settings (and, for tokens and keys, checks the credential). */
  prepare(input: AddRegistryInput, context: AddContext): Promise<Prepared>;
  signIn<T>(registry: R, request: SignInRequest<T>, deps: MethodDependencies): Promise<T>;
  keepAlive(registry: R, session: SignedInSession, deps: MethodDependencies): Promise<SessionOutcome>;
  regenerate(registry: R, deps: MethodDependencies): Promise<SessionOutcome>;
  signOut(registry: R, refreshToken: string | null, deps: MethodDependencies): Promise<SignOutOutcome>;
  /** The secret docker would send now, when the keychain's copy may have run out (a minted access token). */
  currentSecret?(registry: R, deps: MethodDependencies): Promise<string>;
}

export const abilities: Record<SignInMethod, MethodAbilities> = {
  web: { signIn: true, keepAlive: true, regenerate: true, pasteSecret: true, replace: false },
  oidc: { signIn: true, keepAlive: true, regenerate: true, pasteSecret: false, replace: false },
  token: { signIn: false, keepAlive: true, regenerate: false, pasteSecret: false, replace: true },
  stackit: { signIn: false, keepAlive: true, regenerate: false, pasteSecret: false, replace: true },
};

/** The method by name; the OIDC code (openid-client) loads only for registries that use it. */
async function methodNamed(name: SignInMethod): Promise<CredentialMethod> {
  switch (name) {
    case 'token':
      return (await import('./token.js')).tokenMethod as CredentialMethod;
    case 'stackit':
      return (await import('./stackit.js')).stackitMethod as CredentialMethod;
    case 'web':
      return (await import('./harbor-web.js')).harborWeb as CredentialMethod;
    case 'oidc':
      return (await import('./harbor-oidc.js')).harborOidc as CredentialMethod;
  }
}

/** The registry's method. */
export function methodFor(registry: RegistrySettings): Promise<CredentialMethod> {
  return methodNamed(signInMethodOf(registry));
}

/** The method that adds a registry from this input: a Harbor signs in with Berth's own client when a client id is given, else through Harbor's web login. */
export function methodForInput(input: AddRegistryInput): Promise<CredentialMethod> {
  if (input.kind === 'token' || input.kind === 'stackit') return methodNamed(input.kind);
  return methodNamed(input.method ?? (input.clientId ? 'oidc' : 'web'));
}
