import type { CredentialTarget, ExpirySource, HarborMethod, RegistryKind, RegistryState, SignInMethod, TokenPointer } from '../settings/model.js';

/** One registry as the CLI, the tray and the window show it. Dates are ISO strings; nothing secret. */
export interface RegistryView {
  name: string;
  kind: RegistryKind;
  /** The registry host docker uses (host[:port]). */
  registry: string;
  url: string;
  /** How the credential comes about: Harbor's web login, Berth's own OIDC client, or a token from `docker login`. */
  method: SignInMethod;
  /** What Berth can do for this registry (the same table decides for the window, the tray and the CLI). */
  can: MethodAbilities;
  /** How docker gets the credential: `config` (written into its config or credential store) or `helper` (asks Berth). */
  target: CredentialTarget;
  username: string | null;
  state: RegistryState;
  idleDeadline: string | null;
  lastKeptAliveAt: string | null;
  nextKeepAliveAt: string | null;
  /** Hours between keep-alive passes; `null` when nothing keeps this registry alive. */
  keepAliveHours: number | null;
  sessionExpiresAt: string | null;
  /** Berth's own session ends at `sessionExpiresAt` however often it is kept alive. */
  sessionFixed: boolean;
  /** Whether Harbor accepted the CLI secret when Berth last used it (docker's credential works); `null` when not known. */
  secretAccepted: boolean | null;
  /** Something that works now but will need the person later, in a sentence. */
  notice: string | null;
  lastError: string | null;
  /** A URL that fixes the current state (e.g. Harbor's web login), when there is one. */
  actionUrl: string | null;
  /** When the token or service-account key stops working (Berth cannot renew it); `null` when not known or never. */
  expiresAt: string | null;
  expirySource: ExpirySource | null;
  /** When docker's short-lived access token expires (`stackit`); Berth mints the next one before. */
  accessTokenExpiresAt: string | null;
  /** What the token is for, as described at the registry (token registries). */
  note: string | null;
  /** Where to get a new token or key (token and `stackit` registries). */
  pointer: TokenPointer | null;
}

/** What each sign-in method lets Berth do. */
export interface MethodAbilities {
  /** Berth can sign in (a browser, Berth's window onto Harbor, or a pasted secret). */
  signIn: boolean;
  /** Berth keeps the credential alive by using it. */
  keepAlive: boolean;
  /** Berth can make Harbor issue a new CLI secret. */
  regenerate: boolean;
  /** The person may paste a CLI secret copied from Harbor instead of signing in through a window. */
  pasteSecret: boolean;
  /** The person replaces the token (or key) with a new one they got from the registry; Berth checks it first. */
  replace: boolean;
}

export interface AddHarborInput {
  kind?: 'harbor';
  name: string;
  /** Harbor's web address; a bare host means https. */
  url: string;
  /** Default: `oidc` when a client id is given, else `web` (Harbor's own web login, nothing registered anywhere). */
  method?: HarborMethod;
  /** Method `oidc`: the identity provider; default: the one Harbor's login redirects to. */
  issuer?: string;
  /** Method `oidc`: Berth's client id at the identity provider. */
  clientId?: string;
  /** Method `oidc`: the loopback port registered at a provider that matches redirect URIs exactly. */
  loopbackPort?: number;
  /** Method `oidc`: sessions end this many days after sign-in (providers that end them at a fixed time and do not say when). */
  maxSessionDays?: number;
  scopes?: string;
  authParams?: Record<string, string>;
  caFile?: string;
  idleDays?: number;
  /** Hours between keep-alive passes; 0 turns keep-alive off. Default: the preference (24). */
  keepAliveHours?: number;
  /** Days before an expiry at which the registry shows as `expiring`. Default: the preference (3). */
  warnDays?: number;
}

/** A registry that takes a user name and token (robot account, personal access token): checked against it before anything is stored. */
export interface AddTokenInput {
  kind: 'token';
  name: string;
  /** The registry's address; a bare host means https. */
  url: string;
  username: string;
  secret: string;
  /** When the token expires (ISO date or date-time), if the person knows; else read from the token or the registry where possible. */
  expiresAt?: string;
  /** The token's description at the registry; default for registries that want one token per machine: a suggested one. */
  note?: string;
  caFile?: string;
  warnDays?: number;
  /** Hours between checks; 0 turns them off. Default: the preference (24). */
  keepAliveHours?: number;
  /** Where to get a new token, from a registry profile. */
  pointer?: TokenPointer;
}

/** A STACKIT Container Registry through a service account's key (the "key flow"). */
export interface AddStackitInput {
  kind: 'stackit';
  name: string;
  url: string;
  /** The service-account key JSON as STACKIT hands it out (with its private key); kept in the keychain, never as a path. */
  key: string;
  /** Default: the key's `credentials.iss`, the service account's e-mail. */
  username?: string;
  /** Overrides where assertions go (default: `STACKIT_TOKEN_BASEURL`, else the key's `tokenEndpoint`, else STACKIT's). */
  tokenEndpoint?: string;
  /** Seconds an access token handed to docker has left at least (default 300). */
  minTokenSeconds?: number;
  caFile?: string;
  warnDays?: number;
}

export type AddRegistryInput = AddHarborInput | AddTokenInput | AddStackitInput;

/** What Berth knows about a registry's tokens before one is added: a free name, where tokens come from, a suggested note. */
export interface TokenAdvice {
  url: string;
  registry: string;
  suggestedName: string;
  /** The Berth registry that already manages this host, if any. */
  existing: string | null;
  /** Where tokens for this registry are made. */
  pointer: TokenPointer;
  /** The registry wants one token per machine: a description for this machine's token, to paste at the registry. */
  suggestedNote: string | null;
}

/** What `berth set` (and the window's registry settings) may change without removing the registry; absent fields stay. */
export interface RegistryChange {
  /** A CA (PEM) to trust for this registry and its identity provider; `null` trusts only the system's again. */
  caFile?: string | null;
  /** Hours between keep-alive passes; 0 turns keep-alive off. */
  keepAliveHours?: number;
  /** Days before an expiry at which the registry shows as `expiring`. */
  warnDays?: number;
  /** Method `oidc`: the scopes Berth's own client asks for at the next sign-in. */
  scopes?: string;
  /** Harbor's web login and tokens: the user name to sign in as next. */
  username?: string;
  /** A token registry: when the token expires (ISO date or date-time); `null`: not known. */
  expiresAt?: string | null;
  /** A token registry: the token's description at the registry. */
  note?: string;
}

/** A registry after a change, and each change in a sentence that says when it takes effect. */
export interface UpdatedRegistry {
  view: RegistryView;
  changes: string[];
}

/** A registry just added, and what the person should know about its Harbor (e.g. a session that dies with the browser's). */
export interface AddedRegistry {
  view: RegistryView;
  warnings: string[];
}

/** A username and CLI secret the person copied from Harbor's User Profile page (method `web`), or a new token (`token`, `stackit`: the key JSON). */
export interface PastedSecret {
  username: string;
  secret: string;
  /** A new token's end, if the person knows it (`token` registries). */
  expiresAt?: string;
}

/** What `docker login` hands a credential helper's `store`. */
export interface DockerLogin {
  serverUrl: string;
  username: string;
  secret: string;
}

export interface SignOutResult {
  /** Whether the identity provider confirmed the refresh token is revoked. */
  revoked: boolean;
  warnings: string[];
}

/** Pushed to the tray, the window and the CLI's `keepalive` log; never carries a secret. */
export interface StatusEvents {
  /** The state a person sees changed (e.g. `valid` → `needs-web-login`). */
  'registry-status-changed': { name: string; from: RegistryState; to: RegistryState; view: RegistryView };
  /** Anything in the registry's status changed (deadlines, errors), including state changes. */
  'registry-updated': { name: string; view: RegistryView };
  /** Harbor has a new CLI secret for this registry; the old one stopped working everywhere. */
  'secret-regenerated': { name: string; view: RegistryView };
  /** The registry is no longer configured. */
  'registry-removed': { name: string };
  /** Places that held another secret than the one Harbor accepts (e.g. after `docker login`) were rewritten. */
  'targets-repaired': { name: string; targets: string[] };
  /** A line for the activity list: a state change, an action, or an action that failed. */
  activity: ActivityEntry;
}

export type StatusEventName = keyof StatusEvents;

export const checkVerdicts = ['will-work', 'login-ok', 'no-credentials', 'rejected', 'denied', 'not-found', 'unreachable', 'tls'] as const;
export type CheckVerdict = (typeof checkVerdicts)[number];

/** The answer to "will `docker pull` work?"; nothing secret. */
export interface CheckResult {
  reference: string;
  registry: string;
  repository: string | null;
  verdict: CheckVerdict;
  /** One sentence a person can act on. */
  message: string;
  digest: string | null;
  mediaType: string | null;
  username: string | null;
  credentialSource: string | null;
  actionUrl: string | null;
}

/** One line of the window's activity list: a state change or something a person or the keep-alive did. Nothing secret. */
export interface ActivityEntry {
  at: string;
  registry: string | null;
  kind: 'state' | 'action' | 'problem';
  text: string;
}

/** What a Harbor URL says about itself before any sign-in: `systeminfo` and the `/v2/` challenge. */
export interface HarborProbe {
  url: string;
  /** The registry host docker uses. */
  registry: string;
  /** Harbor's `auth_mode`: `oidc_auth` is the one Berth signs in to through the browser. */
  authMode: string;
  oidcProviderName: string | null;
  /** Harbor's version, where it tells anyone (2.7–2.12). */
  harborVersion: string | null;
  /** The registry's token service from the `/v2/` challenge. */
  tokenService: { realm: string; service: string } | null;
  /** The identity provider Harbor's own login redirects to, when Berth could find its issuer. */
  issuer: string | null;
  /** Harbor's own OIDC client id and the scopes it asks for, from its login redirect. */
  harborClientId: string | null;
  harborScopes: string[];
  /** What the person should know before adding it, in sentences. */
  warnings: string[];
  /** The Berth registry that already manages this host, if any. */
  existing: string | null;
  /** A free registry name for this host. */
  suggestedName: string;
}

/** What an administrator hands out so people can sign in with Berth's own client (method `oidc`) without knowing its details. */
export interface RegistryProfile {
  name?: string;
  url?: string;
  /** Default: the issuer Harbor's login redirects to. */
  issuer?: string;
  clientId: string;
  scopes?: string;
  authParams?: Record<string, string>;
  idleDays?: number;
  loopbackPort?: number;
  maxSessionDays?: number;
  /** The desktop app's private update server (electron-updater's generic provider). */
  updateUrl?: string;
}
