import { hostOf } from '../credentials/docker-config.js';
import { abilities } from '../providers/method.js';
import { tokenPointer } from '../providers/token-pointers.js';
import { defaultMinTokenSeconds, signInMethodOf, type HarborRegistrySettings, type Preferences, type RegistrySettings, type RegistryState, type RegistryStatusRecord } from '../settings/model.js';
import type { RegistryView } from './contract.js';

/** A state in words, for sentences such as the activity list's. */
export const stateWords: Record<RegistryState, string> = {
  'signed-out': 'signed out',
  valid: 'valid',
  expiring: 'expiring soon',
  'needs-sign-in': 'needs sign-in',
  'needs-web-login': 'needs a Harbor web login',
  rejected: 'rejected by the registry',
  'keychain-locked': 'waiting for the OS keychain',
  offline: 'offline',
  error: 'in error',
};

const dayMs = 24 * 60 * 60 * 1000;
const hourMs = 60 * 60 * 1000;

/** When Harbor's session would die of idleness if nothing used it after `keptAliveAt`. */
export function idleDeadlineFrom(registry: HarborRegistrySettings, keptAliveAt: Date): Date {
  return new Date(keptAliveAt.getTime() + registry.idleDays * dayMs);
}

function keepAliveHoursOf(registry: RegistrySettings, preferences: Preferences): number | null {
  const hours = registry.keepAliveHours ?? preferences.keepAliveHours;
  return hours > 0 ? hours : null;
}

/** The keep-alive interval of a registry, or `null` when keep-alive is off for it. */
export function keepAliveIntervalMs(registry: RegistrySettings, preferences: Preferences): number | null {
  const hours = keepAliveHoursOf(registry, preferences);
  return hours === null ? null : hours * hourMs;
}

/** The earliest expiry Berth knows of (Harbor's idle deadline, the end of Berth's own session, a token's or key's end), from a record or a view. */
export function nearestExpiry(dates: { idleDeadline?: string | null; sessionExpiresAt?: string | null; expiresAt?: string | null }): number | undefined {
  const times = [dates.idleDeadline, dates.sessionExpiresAt, dates.expiresAt].filter((value): value is string => typeof value === 'string').map(Date.parse);
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** `valid` and `offline` turn `expiring` when an expiry is closer than the registry's warning threshold; `valid` also when Berth has no offline session. */
function shownState(registry: RegistrySettings, record: RegistryStatusRecord, preferences: Preferences, now: number): RegistryState {
  if (record.state !== 'valid' && record.state !== 'offline') return record.state;
  // No offline session of Berth's own: it will need a new sign-in, whether or not the provider said when.
  if (record.state === 'valid' && record.berthSession !== undefined) return 'expiring';
  const expiry = nearestExpiry(record);
  const warnMs = (registry.warnDays ?? preferences.warnDays) * dayMs;
  return expiry !== undefined && expiry - now < warnMs ? 'expiring' : record.state;
}

/** When docker's copy of a short-lived access token must be replaced: its end less the margin Berth keeps (only a written copy needs it). */
export function renewalDue(registry: RegistrySettings, record: RegistryStatusRecord): number | undefined {
  if (registry.kind !== 'stackit' || (registry.target ?? 'config') !== 'config' || !record.accessTokenExpiresAt || !record.signedInAt) return undefined;
  return Date.parse(record.accessTokenExpiresAt) - (registry.minTokenSeconds ?? defaultMinTokenSeconds) * 1000;
}

export function registryView(registry: RegistrySettings, record: RegistryStatusRecord, preferences: Preferences, now: number): RegistryView {
  const method = signInMethodOf(registry);
  return {
    name: registry.name,
    kind: registry.kind,
    registry: hostOf(registry.url),
    url: registry.url,
    method,
    can: abilities[method],
    target: registry.target ?? 'config',
    // Who is signed in; while signed out, whom the person chose to sign in as (`berth set --username`).
    username: record.username ?? (record.signedInAt ? undefined : registry.username) ?? null,
    state: shownState(registry, record, preferences, now),
    idleDeadline: record.idleDeadline ?? null,
    lastKeptAliveAt: record.lastKeptAliveAt ?? null,
    nextKeepAliveAt: record.nextKeepAliveAt ?? null,
    keepAliveHours: keepAliveHoursOf(registry, preferences),
    sessionExpiresAt: record.sessionExpiresAt ?? null,
    sessionFixed: record.sessionFixed === true,
    secretAccepted: record.secretAccepted ?? null,
    notice: record.notice ?? null,
    lastError: record.lastError ?? null,
    actionUrl: record.actionUrl ?? null,
    expiresAt: record.expiresAt ?? null,
    expirySource: record.expirySource ?? null,
    accessTokenExpiresAt: record.accessTokenExpiresAt ?? null,
    note: registry.kind === 'token' ? (registry.note ?? null) : null,
    pointer: registry.kind === 'harbor' ? null : tokenPointer({ ...registry, username: record.username }),
  };
}
