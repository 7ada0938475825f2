import type { RegistryKind, RegistryState } from '../settings/model.js';

/** One registry as the CLI, the tray and the window show it. Dates are ISO strings; nothing secret. */
export interface RegistryView {
  name: string;
  kind: RegistryKind;
  /** The registry host docker uses (host[:port]). */
  registry: string;
  url: string;
  /** How docker gets the credential: `config` (written into its config or credential store) or `helper` (asks Berth). */
  target: 'config' | 'helper';
  username: string | null;
  state: RegistryState;
  idleDeadline: string | null;
  lastKeptAliveAt: string | null;
  nextKeepAliveAt: string | null;
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
}

export type StatusEventName = keyof StatusEvents;
