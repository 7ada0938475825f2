import type { RegistryKind, RegistryState } from '../settings/model.js';

/** One registry as the CLI, the tray and the window show it. Dates are ISO strings; nothing secret. */
export interface RegistryView {
  name: string;
  kind: RegistryKind;
  /** The registry host docker uses (host[:port]). */
  registry: string;
  url: string;
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
}

export interface SignOutResult {
  /** Whether the identity provider confirmed the refresh token is revoked. */
  revoked: boolean;
  warnings: string[];
}
