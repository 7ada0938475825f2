import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RegistrySettings, RegistryStatusRecord } from '../../main/settings/model.js';
import type { Workspace } from './berth.js';

/**
 * A person's registries in every state the window shows, with the names and sentences real ones have: settings.json and
 * status.json as Berth writes them. Listing them reads only these files, so the window shows them without a network.
 */
export function registriesInEveryState(ws: Workspace, now = Date.now()): void {
  const at = (ms: number) => new Date(now + ms).toISOString();
  const minute = 60_000;
  const hour = 60 * minute;
  const day = 24 * hour;
  const issuer = 'https://sso.example.org/realms/corp';
  const oidc = { kind: 'harbor', method: 'oidc', issuer, clientId: 'berth', scopes: 'openid profile email offline_access', authParams: {}, idleDays: 30 } as const;
  const web = { kind: 'harbor', method: 'web', issuer, idleDays: 30 } as const;
  const registries: RegistrySettings[] = [
    { name: 'work', url: 'https://harbor.example.org', ...web },
    { name: 'platform', url: 'https://registry.platform.example.org', ...oidc },
    { name: 'team', url: 'https://harbor.team.example.org', ...oidc },
    { name: 'research', url: 'https://harbor.research.example.org', ...oidc },
    { name: 'edge', url: 'https://harbor.edge.example.org', ...web },
    { name: 'mirror', url: 'https://mirror.example.org', kind: 'token', target: 'helper' },
    { name: 'harness', url: 'https://pkg.harness.io', kind: 'token', target: 'config' },
    { name: 'vault', url: 'https://harbor.vault.example.org', ...web },
    { name: 'staging', url: 'https://harbor.staging.example.org', ...web },
  ];
  const kept = { signedInAt: at(-20 * day), lastKeptAliveAt: at(-hour), writtenTo: 'config' };
  const status: Record<string, RegistryStatusRecord> = {
    work: { state: 'valid', username: 'dana', userId: 7, ...kept, idleDeadline: at(30 * day - hour), nextKeepAliveAt: at(23 * hour) },
    platform: {
      state: 'needs-web-login',
      username: 'dana',
      userId: 12,
      ...kept,
      idleDeadline: at(-2 * hour),
      nextKeepAliveAt: at(5 * minute),
      actionUrl: 'https://registry.platform.example.org/c/oidc/login',
      lastError:
        "Harbor at registry.platform.example.org rejects the CLI secret of dana: Harbor's own session for this user has expired. Log in once at https://registry.platform.example.org/c/oidc/login; Berth notices within minutes.",
    },
    team: { state: 'valid', username: 'dana', ...kept, idleDeadline: at(29 * day), nextKeepAliveAt: at(23 * hour), sessionExpiresAt: at(2 * day), sessionFixed: true },
    research: {
      state: 'needs-sign-in',
      username: 'dana',
      ...kept,
      idleDeadline: at(26 * day),
      nextKeepAliveAt: at(23 * hour),
      lastError: "The identity provider at sso.example.org ended Berth's session for research (invalid_grant: Session not active). Docker credentials still work and Berth keeps Harbor's session alive; sign in again to renew them.",
    },
    edge: {
      state: 'offline',
      username: 'dana',
      ...kept,
      lastKeptAliveAt: at(-5 * hour),
      idleDeadline: at(30 * day - 5 * hour),
      nextKeepAliveAt: at(2 * minute),
      lastError: 'Cannot reach harbor.edge.example.org (ECONNREFUSED). Check the network or VPN and try again.',
    },
    mirror: { state: 'valid', username: 'ci-bot', signedInAt: at(-3 * day), writtenTo: 'helper:berth' },
    harness: {
      state: 'rejected',
      username: 'dana@example.org',
      ...kept,
      nextKeepAliveAt: at(23 * hour),
      expiresAt: at(-hour),
      expirySource: 'given',
      actionUrl: 'https://app.harness.io/',
      lastError: 'pkg.harness.io no longer accepts the token of dana@example.org: it expired or was revoked. In Harness: the registry\'s "Set up client" makes a new token.',
    },
    vault: {
      state: 'keychain-locked',
      username: 'dana',
      ...kept,
      idleDeadline: at(29 * day),
      nextKeepAliveAt: at(4 * minute),
      lastError: 'The OS keychain is locked: Berth cannot read the CLI secret of vault. Unlock it (log in to your desktop session, or run `gnome-keyring-daemon --unlock`); Berth tries again by itself.',
    },
    staging: { state: 'signed-out' },
  };
  mkdirSync(ws.berthHome, { recursive: true });
  writeFileSync(join(ws.berthHome, 'settings.json'), JSON.stringify({ registries }, null, 2));
  writeFileSync(join(ws.berthHome, 'status.json'), JSON.stringify({ registries: status }, null, 2));
}
