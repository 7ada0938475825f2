import type { MenuItemConstructorOptions } from 'electron';
import type { RegistryView } from '../api/contract.js';
import { nearestExpiry } from '../api/registry-view.js';
import type { RegistryState } from '../settings/model.js';

/** The tray icon: all fine, something to keep an eye on, or something only the user can fix. */
export type TrayLevel = 'fine' | 'attention' | 'action';

export type TrayAction =
  | { type: 'sign-in' | 'refresh' | 'regenerate' | 'check' | 'replace'; name: string }
  | { type: 'open-url'; url: string }
  | { type: 'open-window' | 'toggle-start-at-login' | 'check-updates' | 'quit' };

export interface TrayEntry {
  label: string;
  action?: TrayAction;
  enabled?: boolean;
  /** A checkbox entry when set. */
  checked?: boolean;
  submenu?: TrayEntry[];
}

/** `null` draws a separator. */
export type TrayMenu = (TrayEntry | null)[];

export interface TrayModel {
  level: TrayLevel;
  tooltip: string;
  menu: TrayMenu;
}

const levelOf: Record<RegistryState, TrayLevel> = {
  valid: 'fine',
  expiring: 'attention',
  offline: 'attention',
  'signed-out': 'attention',
  'needs-sign-in': 'action',
  'needs-web-login': 'action',
  rejected: 'action',
  'keychain-locked': 'action',
  error: 'action',
};

const rank: Record<TrayLevel, number> = { fine: 0, attention: 1, action: 2 };

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;
const dayMs = 24 * hourMs;

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** "29 days", "5 hours", "12 minutes": the largest whole unit, rounded down so it never promises too much. */
export function timeLeft(ms: number): string {
  if (ms >= 2 * dayMs) return plural(Math.floor(ms / dayMs), 'day');
  if (ms >= 2 * hourMs) return plural(Math.floor(ms / hourMs), 'hour');
  return plural(Math.max(0, Math.floor(ms / minuteMs)), 'minute');
}

/** "Nov 24, 2026": the date beside a countdown, since "2 days" alone does not say when. */
export function shortDate(at: number): string {
  return new Date(at).toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric' });
}

/** A token's end in words: "expires in 29 days (Dec 21, 2026)", "never expires", "expiry unknown". */
export function tokenExpiryWords(view: RegistryView, now: number): string {
  if (view.expiresAt) {
    const at = Date.parse(view.expiresAt);
    return at <= now ? `expired ${shortDate(at)}` : `expires in ${timeLeft(at - now)} (${shortDate(at)})`;
  }
  return view.expirySource ? 'never expires' : 'expiry unknown';
}

/** The status line of one registry: "harbor.example.org — kept alive, 29 days left". */
export function statusLine(view: RegistryView, now: number): string {
  const expiry = nearestExpiry(view);
  const left = expiry === undefined ? '' : `, ${timeLeft(expiry - now)} left`;
  if (view.kind === 'token' && (view.state === 'valid' || view.state === 'expiring')) return `${view.registry} — token ${tokenExpiryWords(view, now)}`;
  if (view.kind === 'stackit' && view.state === 'valid') return `${view.registry} — service account, tokens renewed by Berth${view.expiresAt ? `; key ${tokenExpiryWords(view, now)}` : ''}`;
  if (view.kind === 'stackit' && view.state === 'expiring') return `${view.registry} — service-account key ${tokenExpiryWords(view, now)}`;
  switch (view.state) {
    case 'valid':
      return `${view.registry} — kept alive${left}`;
    case 'expiring':
      return `${view.registry} — expires soon${left}`;
    case 'rejected':
      return `${view.registry} — ${view.kind === 'stackit' ? 'key' : 'token'} rejected, replace it`;
    case 'offline':
      return `${view.registry} — offline, retrying${left}`;
    case 'signed-out':
      return `${view.registry} — signed out`;
    case 'needs-sign-in':
      return `${view.registry} — sign in needed`;
    case 'needs-web-login':
      return `${view.registry} — log in to Harbor's web UI`;
    case 'keychain-locked':
      return `${view.registry} — unlock the OS keychain`;
    case 'error':
      return `${view.registry} — error, open Berth for details`;
  }
}

function registryEntries(view: RegistryView): TrayEntry[] {
  const signedIn = view.username !== null && view.state !== 'signed-out';
  const entries: TrayEntry[] = [];
  // Harbor's web login in Berth's own window lets Berth see the result at once; otherwise the system browser.
  if (view.actionUrl && view.kind === 'harbor') {
    entries.push({ label: "Log in to Harbor's web UI", action: view.method === 'web' ? { type: 'sign-in', name: view.name } : { type: 'open-url', url: view.actionUrl } });
  }
  if (view.can.replace) {
    // A token or key is never renewed by signing in: the person gets a new one where the pointer says, and replaces it.
    entries.push({ label: view.kind === 'stackit' ? 'Replace key…' : 'Replace token…', action: { type: 'replace', name: view.name } });
    if (view.pointer?.url) entries.push({ label: view.kind === 'stackit' ? 'Open the STACKIT portal' : 'Where to get a new token', action: { type: 'open-url', url: view.pointer.url } });
    entries.push({ label: 'Check now', action: { type: 'refresh', name: view.name }, enabled: signedIn });
  } else {
    entries.push(
      { label: signedIn ? 'Sign in again…' : 'Sign in…', action: { type: 'sign-in', name: view.name }, enabled: view.can.signIn },
      { label: 'Renew now', action: { type: 'refresh', name: view.name }, enabled: view.can.keepAlive && signedIn },
      { label: 'Regenerate CLI secret…', action: { type: 'regenerate', name: view.name }, enabled: view.can.regenerate && signedIn },
    );
  }
  entries.push({ label: 'Check image…', action: { type: 'check', name: view.name } }, { label: 'Open in browser', action: { type: 'open-url', url: view.url } });
  return entries;
}

function tooltipFor(views: RegistryView[], level: TrayLevel, now: number): string {
  if (views.length === 0) return 'Berth — no registries yet';
  if (level === 'fine') return `Berth — ${views.length === 1 ? 'your registry is' : `all ${views.length} registries are`} fine`;
  const troubled = views.filter((view) => levelOf[view.state] !== 'fine').sort((a, b) => rank[levelOf[b.state]] - rank[levelOf[a.state]]);
  return ['Berth', ...troubled.slice(0, 3).map((view) => statusLine(view, now)), ...(troubled.length > 3 ? [`and ${troubled.length - 3} more`] : [])].join('\n');
}

/** The tray's icon, tooltip and menu for the registries as they are now; rebuilt on every status event. */
export function trayModel(views: RegistryView[], options: { now: number; startAtLogin: boolean }): TrayModel {
  const level = views.reduce<TrayLevel>((worst, view) => (rank[levelOf[view.state]] > rank[worst] ? levelOf[view.state] : worst), 'fine');
  const registries: TrayMenu = views.length
    ? views.map((view) => ({ label: statusLine(view, options.now), submenu: registryEntries(view) }))
    : [{ label: 'No registries yet', enabled: false }];
  return {
    level,
    tooltip: tooltipFor(views, level, options.now),
    menu: [
      ...registries,
      null,
      { label: 'Open Berth', action: { type: 'open-window' } },
      { label: 'Start at login', action: { type: 'toggle-start-at-login' }, checked: options.startAtLogin },
      { label: 'Check for updates…', action: { type: 'check-updates' } },
      null,
      { label: 'Quit Berth', action: { type: 'quit' } },
    ],
  };
}

/** Electron's menu template for a tray menu; each click runs its action. */
export function menuTemplate(menu: TrayMenu, run: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return menu.map((entry): MenuItemConstructorOptions => {
    if (entry === null) return { type: 'separator' };
    const { action } = entry;
    return {
      label: entry.label,
      enabled: entry.enabled ?? true,
      ...(entry.checked !== undefined ? { type: 'checkbox' as const, checked: entry.checked } : {}),
      ...(entry.submenu ? { submenu: menuTemplate(entry.submenu, run) } : {}),
      ...(action ? { click: () => run(action) } : {}),
    };
  });
}
