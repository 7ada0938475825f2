import type { RegistryView } from '../api/contract.js';
import { nearestExpiry } from '../api/registry-view.js';
import { readCacheFile, writeCacheFile } from '../credentials/json-file.js';
import type { RegistryState } from '../settings/model.js';
import { shortDate, timeLeft } from './tray-model.js';

export type NoticeKind = 'expiring' | 'needs-sign-in' | 'needs-web-login' | 'rejected' | 'keychain-locked' | 'recovered' | 'secret-regenerated' | 'targets-restored';

export interface Notice {
  kind: NoticeKind;
  registry: string;
  title: string;
  body: string;
}

/** When each condition last notified; kept across restarts so a restart does not repeat a notice. */
export interface NoticeMemory {
  lastShown(key: string): number | undefined;
  remember(key: string, at: number): void;
}

export const noticeQuietMs = 24 * 60 * 60 * 1000;

// Leaving one of these for `valid` is worth telling: the user fixed something, or Berth did.
const troubled: ReadonlySet<RegistryState> = new Set(['expiring', 'needs-sign-in', 'needs-web-login', 'rejected', 'keychain-locked', 'error']);

function expiryText(view: RegistryView, now: number): string {
  const expiry = nearestExpiry(view);
  return expiry === undefined ? 'soon' : `in ${timeLeft(expiry - now)}`;
}

/** Where to get a new token or key, for a notice's body. */
function pointerText(view: RegistryView): string {
  return view.pointer ? ` ${view.pointer.where}` : '';
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** Why a registry is about to expire: a fixed end of Berth's own session is no failure to renew, and no renewal moves it. */
function expiringBody(view: RegistryView): string {
  const fixedEnd = view.sessionFixed && view.sessionExpiresAt ? Date.parse(view.sessionExpiresAt) : undefined;
  if (fixedEnd !== undefined && fixedEnd === nearestExpiry(view)) {
    return `Berth's own session ends on ${dateFormat.format(fixedEnd)}, and keep-alive cannot extend it: sign in again then. Click to see the registry.`;
  }
  return view.lastError ?? 'Berth could not renew it yet. Click to see what it needs.';
}

/** A needs-sign-in that still has a working CLI secret (only Berth's own session ended) says so rather than warn of failing pulls. */
function signInBody(view: RegistryView): string {
  if (view.secretAccepted === true) {
    return "Berth's own session has ended, but docker pulls still work and Berth keeps Harbor's session alive. Sign in so Berth can renew or replace the CLI secret. Click to sign in.";
  }
  return 'docker pulls will fail until you do. Click to sign in.';
}

function noticeFor(kind: NoticeKind, view: RegistryView, now: number): Notice {
  const host = view.registry;
  const credential = view.kind === 'stackit' ? 'service-account key' : 'token';
  switch (kind) {
    case 'expiring':
      if (view.kind !== 'harbor' && view.expiresAt) {
        const at = Date.parse(view.expiresAt);
        return {
          kind,
          registry: view.name,
          title: `${host}: ${credential} expires in ${timeLeft(at - now)} (${shortDate(at)})`,
          body: `Berth cannot renew it: get a new one before then.${pointerText(view)}`,
        };
      }
      return {
        kind,
        registry: view.name,
        title: `${host}: login expires ${expiryText(view, now)}`,
        body: expiringBody(view),
      };
    case 'needs-sign-in':
      return { kind, registry: view.name, title: `${host}: sign in again`, body: signInBody(view) };
    case 'needs-web-login':
      return {
        kind,
        registry: view.name,
        title: `${host}: log in to Harbor's web UI`,
        body: "Harbor's own session has expired, so the CLI secret no longer works. Click, then log in on the web page.",
      };
    case 'rejected':
      return {
        kind,
        registry: view.name,
        title: `${host}: ${credential} rejected`,
        body: `The registry no longer accepts this ${credential}: it expired or was revoked, and docker pulls fail.${pointerText(view)}`,
      };
    case 'keychain-locked':
      return {
        kind,
        registry: view.name,
        title: `${host}: unlock the OS keychain`,
        body: 'Berth keeps its secrets there and cannot read them while it is locked. Unlock it; Berth retries by itself.',
      };
    case 'recovered':
      return { kind, registry: view.name, title: `${host}: working again`, body: `docker credentials${view.username ? ` for ${view.username}` : ''} are valid.` };
    case 'secret-regenerated':
      return {
        kind,
        registry: view.name,
        title: `${host}: new CLI secret`,
        body: 'This machine already uses it. Other machines with the old secret need a new docker login.',
      };
    case 'targets-restored':
      return {
        kind,
        registry: view.name,
        title: `${host}: docker credential put back`,
        body: `Another program removed or replaced the credential Berth keeps for ${view.name} (a docker logout?), so Berth wrote it back. To log out for good, sign out in Berth.`,
      };
  }
}

/** Decides which state changes notify, and never repeats the same condition for a registry within a day. */
export class NotificationPolicy {
  private readonly known = new Map<string, RegistryState>();

  constructor(
    private readonly memory: NoticeMemory,
    private readonly now: () => number = Date.now,
  ) {}

  /** The registries as they are now (after an event, or on the clock, since `expiring` comes with time alone). */
  update(views: RegistryView[]): Notice[] {
    const notices: Notice[] = [];
    const present = new Set<string>();
    for (const view of views) {
      present.add(view.name);
      const before = this.known.get(view.name);
      this.known.set(view.name, view.state);
      if (before === view.state) continue;
      const kind = this.kindFor(before, view.state);
      const notice = kind && this.gate(kind, view);
      if (notice) notices.push(notice);
    }
    for (const name of this.known.keys()) if (!present.has(name)) this.known.delete(name);
    return notices;
  }

  secretRegenerated(view: RegistryView): Notice | null {
    return this.gate('secret-regenerated', view);
  }

  /** Berth wrote a registry's credential back where another program had removed or replaced it. */
  targetsRestored(view: RegistryView): Notice | null {
    return this.gate('targets-restored', view);
  }

  private kindFor(before: RegistryState | undefined, after: RegistryState): NoticeKind | null {
    if (after === 'expiring' || after === 'needs-sign-in' || after === 'needs-web-login' || after === 'rejected' || after === 'keychain-locked') return after;
    // At start-up Berth does not know what the state was before, so `valid` is no news then.
    if (after === 'valid' && before !== undefined && troubled.has(before)) return 'recovered';
    return null;
  }

  private gate(kind: NoticeKind, view: RegistryView): Notice | null {
    const key = `${view.name}:${kind}`;
    const at = this.now();
    const last = this.memory.lastShown(key);
    if (last !== undefined && at - last < noticeQuietMs) return null;
    this.memory.remember(key, at);
    return noticeFor(kind, view, at);
  }
}

/** Notice times in a small file in Berth's folder; an unreadable one only means a notice may repeat. */
export function fileNoticeMemory(path: string): NoticeMemory {
  // Without the file the once-a-day rule still holds until the app restarts.
  let times = readCacheFile<number>(path);
  return {
    lastShown: (key) => (typeof times[key] === 'number' ? times[key] : undefined),
    remember(key, at) {
      times = { ...times, [key]: at };
      writeCacheFile(path, times);
    },
  };
}
