import { BerthError } from '../errors.js';
import type { HarborAuth, HarborClient, HarborUser } from './client.js';
import { webSessionAuth, type WebCookie } from './web-session.js';

/** One open sign-in window onto Harbor's web UI. */
export interface HarborWebWindow {
  /** The next page the window navigated to, or `null` once the person closed it. */
  nextPage(): Promise<string | null>;
  /** The window's cookies for a URL. */
  cookies(url: string): Promise<WebCookie[]>;
  close(): void;
}

/**
 * Berth's own windows onto Harbor's web UI, one persistent browser session per registry: the app's locked-down sign-in
 * window (`main/app/harbor-window.ts`), real Chromium in the tests. Only this small surface differs between the two.
 */
export interface HarborWebWindows {
  /** Opens the registry's sign-in window at `url`, closing one it already had open. */
  open(registry: string, url: string): Promise<HarborWebWindow>;
  /** The cookies the registry's browser session holds for `url`, without showing anything. */
  cookies(registry: string, url: string): Promise<WebCookie[]>;
  /** Closes the registry's sign-in window, if one is open (the person chose another way to sign in). */
  close(registry: string): void;
  /** Forgets the registry's browser session: its cookies and storage (sign-out, removal). */
  forget(registry: string): Promise<void>;
}

/** The pages a sign-in window navigates to, handed out in order; `null` for good once the window is closed. */
export class PageQueue {
  private readonly pages: string[] = [];
  private waiting: ((page: string | null) => void) | undefined;
  private closed = false;

  push(page: string): void {
    if (this.closed) return;
    if (this.waiting) this.take()(page);
    else this.pages.push(page);
  }

  close(): void {
    this.closed = true;
    if (this.waiting) this.take()(null);
  }

  next(): Promise<string | null> {
    const page = this.pages.shift();
    if (page !== undefined) return Promise.resolve(page);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private take(): (page: string | null) => void {
    const waiting = this.waiting as (page: string | null) => void;
    this.waiting = undefined;
    return waiting;
  }
}

export interface HarborWebSession {
  user: HarborUser;
  auth: HarborAuth;
}

/** A page of Harbor's own UI, not its login handlers (`/c/oidc/login`, `/c/oidc/callback`, `/c/oidc/onboard`). */
function isHarborPage(harbor: HarborClient, page: string): boolean {
  try {
    const url = new URL(page);
    return url.origin === harbor.base.origin && !url.pathname.startsWith('/c/');
  } catch {
    return false;
  }
}

function withDeadline<T>(promise: Promise<T>, at: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, at - Date.now()));
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * Opens Harbor's web login in Berth's window and waits until the window is back on Harbor with a signed-in session:
 * Harbor's callback has then stored a fresh OIDC token for the user, which is what keeps the CLI secret alive.
 */
export async function signInThroughWindow(harbor: HarborClient, windows: HarborWebWindows, registry: string, timeoutMs: number, signal?: AbortSignal): Promise<HarborWebSession> {
  const cancelled = () => new BerthError('cancelled', `The sign-in to ${registry} was broken off; nothing changed.`, { registry });
  if (signal?.aborted) throw cancelled();
  const window = await windows.open(registry, harbor.webLoginUrl);
  const deadline = Date.now() + timeoutMs;
  // Broken off: close the window, and stop waiting even if it never reports itself closed.
  let brokenOff: () => void = () => undefined;
  const aborted = new Promise<null>((resolve) => (brokenOff = () => resolve(null)));
  const close = () => {
    window.close();
    brokenOff();
  };
  signal?.addEventListener('abort', close, { once: true });
  try {
    if (signal?.aborted) throw cancelled();
    for (;;) {
      const page = await withDeadline(Promise.race([window.nextPage(), aborted]), deadline, () =>
        new BerthError('timeout', `The Harbor login for ${registry} did not finish within ${Math.round(timeoutMs / 1000)} s; Berth closed its window. Sign in again when you are ready.`, { registry }),
      );
      if (page === null) throw signal?.aborted ? cancelled() : new BerthError('cancelled', `The Harbor window for ${registry} was closed before the login finished; nothing changed.`, { registry });
      if (!isHarborPage(harbor, page)) continue;
      const auth = webSessionAuth(await window.cookies(harbor.base.href), registry);
      const user = await harbor.currentUser(auth);
      if (user) return { user, auth };
    }
  } finally {
    signal?.removeEventListener('abort', close);
    window.close();
  }
}

/** Harbor's web session for the registry: the one its browser session still holds, else a new login in Berth's window. */
export async function harborWebSession(harbor: HarborClient, windows: HarborWebWindows, registry: string, timeoutMs: number): Promise<HarborWebSession> {
  const auth = webSessionAuth(await windows.cookies(registry, harbor.base.href), registry);
  const user = await harbor.currentUser(auth);
  return user ? { user, auth } : signInThroughWindow(harbor, windows, registry, timeoutMs);
}
