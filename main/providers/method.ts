import type { MethodAbilities } from '../api/contract.js';
import type { WrittenTo } from '../credentials/docker-target.js';
import type { HarborWebWindows } from '../harbor/web-windows.js';
import type { BrowserOpener } from '../oidc/provider.js';
import type { SecretStore } from '../secrets/keychain.js';
import type { RegistrySettings, SignInMethod } from '../settings/model.js';

/** What a sign-in yields, whatever the method: a CLI secret, and whether Harbor accepts it now. */
export interface SignedIn {
  host: string;
  username: string;
  userId?: number;
  cliSecret: string;
  /** Whether Harbor's token service accepts the secret now; `false` when Harbor's own session is dead. */
  accepted: boolean;
  /** Berth's own session at the identity provider (method `oidc`), kept in the keychain. */
  refreshToken?: string;
  sessionExpiresAt?: Date;
  webLoginUrl: string;
  /** Berth's own session ends at `sessionExpiresAt` however often it is refreshed. */
  sessionFixed?: boolean;
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
}

export interface SignInRequest<T> {
  /** The system browser (app), `--browser-command` (CLI), a driver (tests). */
  openBrowser: BrowserOpener;
  timeoutMs: number;
  /** Called when the browser is back with a code (method `oidc`); the rest is Berth's own work. */
  onCallback?: () => void;
  /** A username and CLI secret the person copied from Harbor's User Profile (method `web` without Berth's window). */
  pasted?: { username: string; secret: string };
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
  state: 'valid' | 'needs-sign-in' | 'needs-web-login' | 'offline' | 'error';
  /** Set when Harbor accepted the CLI secret, which refreshed its stored session. */
  keptAlive: boolean;
  /** When Berth's own session ends, if the identity provider says. */
  sessionExpiresAt?: Date;
  sessionFixed?: boolean;
  lastError?: string;
  actionUrl?: string;
  username: string;
  /** Set when the credential targets were rewritten with a new secret. */
  writtenTo?: WrittenTo;
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
  signIn<T>(registry: R, request: SignInRequest<T>, deps: MethodDependencies): Promise<T>;
  keepAlive(registry: R, session: SignedInSession, deps: MethodDependencies): Promise<SessionOutcome>;
  regenerate(registry: R, deps: MethodDependencies): Promise<SessionOutcome>;
  signOut(registry: R, refreshToken: string | null, deps: MethodDependencies): Promise<SignOutOutcome>;
}

export const abilities: Record<SignInMethod, MethodAbilities> = {
  web: { signIn: true, keepAlive: true, regenerate: true, pasteSecret: true },
  oidc: { signIn: true, keepAlive: true, regenerate: true, pasteSecret: false },
  'docker-login': { signIn: false, keepAlive: false, regenerate: false, pasteSecret: false },
};

/** The registry's method; the OIDC code (openid-client) loads only for registries that use it. */
export async function methodFor(registry: RegistrySettings): Promise<CredentialMethod> {
  if (registry.kind === 'token') return (await import('./docker-login.js')).dockerLogin as CredentialMethod;
  if (registry.method === 'web') return (await import('./harbor-web.js')).harborWeb as CredentialMethod;
  return (await import('./harbor-oidc.js')).harborOidc as CredentialMethod;
}
