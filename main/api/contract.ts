import type { CredentialTarget, RegistryKind, RegistryState } from '../settings/model.js';

/** One registry as the CLI, the tray and the window show it. Dates are ISO strings; nothing secret. */
export interface RegistryView {
  name: string;
  kind: RegistryKind;
  /** The registry host docker uses (host[:port]). */
  registry: string;
  url: string;
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
  lastError: string | null;
  /** A URL that fixes the current state (e.g. Harbor's web login), when there is one. */
  actionUrl: string | null;
}

export interface AddHarborInput {
  name: string;
  url: string;
  issuer: string;
  clientId: string;
  scopes?: string;
  authParams?: Record<string, string>;
  caFile?: string;
  idleDays?: number;
  /** Hours between keep-alive passes; 0 turns keep-alive off. Default: the preference (24). */
  keepAliveHours?: number;
  /** Days before an expiry at which the registry shows as `expiring`. Default: the preference (3). */
  warnDays?: number;
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
  /** The registry's token service from the `/v2/` challenge. */
  tokenService: { realm: string; service: string } | null;
  /** A free registry name for this host. */
  suggestedName: string;
}

/** What an administrator hands out so people can add a registry without knowing its OIDC details. */
export interface RegistryProfile {
  name?: string;
  url?: string;
  issuer: string;
  clientId: string;
  scopes?: string;
  authParams?: Record<string, string>;
  idleDays?: number;
}
