import type { BrowserWindow, BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { errorMessage } from '../errors.js';
import { PageQueue, type HarborWebWindow, type HarborWebWindows } from '../harbor/web-windows.js';
import type { Logger } from '../log/logger.js';
import { isLoopbackHost } from '../net/http.js';

/** The slice of a BrowserWindow the sign-in window uses. */
export type SignInBrowserWindow = Pick<BrowserWindow, 'loadURL' | 'on' | 'close' | 'setTitle' | 'isDestroyed' | 'focus'> & {
  webContents: Pick<WebContents, 'setWindowOpenHandler' | 'on'>;
};

/** The slice of a Session the sign-in window uses. */
export type SignInSession = Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler' | 'on' | 'clearStorageData'> & {
  cookies: Pick<Session['cookies'], 'get'>;
};

/** Electron at the boundary: `new BrowserWindow(options)` and `session.fromPartition(name)` in the app, fakes in the tests. */
export interface SignInElectron {
  createWindow(options: BrowserWindowConstructorOptions): SignInBrowserWindow;
  fromPartition(partition: string): SignInSession;
}

/** One persistent browser session per registry, so Harbor's web session and the provider's SSO cookies outlive the window. */
export function partitionFor(registry: string): string {
  return `persist:harbor-${registry}`;
}

/** A web page Harbor's login may pass through: https anywhere (Harbor, the provider, a federated one), http only on this machine. */
export function navigationAllowed(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname));
  } catch {
    return false;
  }
}

/** The window's title always names the origin the person is typing into, whatever the page calls itself. */
export function signInWindowTitle(url: string, registry: string): string {
  let origin = 'about:blank';
  try {
    origin = new URL(url).origin;
  } catch {
    // Keeps the neutral title.
  }
  return `${origin} — Berth: sign in to ${registry}`;
}

/** A plain web window: no preload, no Node, no webviews, sandboxed and isolated, in the registry's own session. */
export function signInWindowOptions(registry: string, url: string): BrowserWindowConstructorOptions {
  return {
    width: 920,
    height: 780,
    title: signInWindowTitle(url, registry),
    autoHideMenuBar: true,
    webPreferences: {
      partition: partitionFor(registry),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: false,
    },
  };
}

/** No camera, location, notifications, clipboard or devices for pages in a sign-in session, and no downloads. */
export function lockDownSession(session: SignInSession): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.on('will-download', (event) => event.preventDefault());
}

/** Berth's sign-in windows onto Harbor's web login, in the app. */
export function electronHarborWindows(electron: SignInElectron, log: Pick<Logger, 'warn'>): HarborWebWindows {
  const open = new Map<string, SignInBrowserWindow>();
  const lockedDown = new Set<string>();

  function sessionFor(registry: string): SignInSession {
    const partition = partitionFor(registry);
    const session = electron.fromPartition(partition);
    if (!lockedDown.has(partition)) {
      lockDownSession(session);
      lockedDown.add(partition);
    }
    return session;
  }

  async function cookies(registry: string, url: string) {
    return (await sessionFor(registry).cookies.get({ url })).map(({ name, value }) => ({ name, value }));
  }

  function close(registry: string): void {
    const window = open.get(registry);
    if (window && !window.isDestroyed()) window.close();
  }

  return {
    async open(registry, url): Promise<HarborWebWindow> {
      close(registry);
      sessionFor(registry);
      const window = electron.createWindow(signInWindowOptions(registry, url));
      const contents = window.webContents;
      const pages = new PageQueue();
      open.set(registry, window);
      contents.setWindowOpenHandler(() => ({ action: 'deny' }));
      contents.on('will-attach-webview', (event) => event.preventDefault());
      const guard = (event: Electron.Event, target: string) => {
        if (navigationAllowed(target)) return;
        event.preventDefault();
        log.warn('blocked a navigation in the sign-in window', { registry, scheme: target.split(':', 1)[0] ?? '' });
      };
      contents.on('will-navigate', (event) => guard(event, event.url));
      contents.on('will-redirect', (event) => guard(event, event.url));
      contents.on('page-title-updated', (event) => event.preventDefault());
      contents.on('did-navigate', (_event, page) => {
        window.setTitle(signInWindowTitle(page, registry));
        pages.push(page);
      });
      contents.on('did-navigate-in-page', (_event, page, isMainFrame) => {
        if (!isMainFrame) return;
        window.setTitle(signInWindowTitle(page, registry));
        pages.push(page);
      });
      window.on('closed', () => {
        if (open.get(registry) === window) open.delete(registry);
        pages.close();
      });
      window.loadURL(url).catch((error: unknown) => log.warn('the sign-in window did not load', { registry, reason: errorMessage(error) }));
      return {
        nextPage: () => pages.next(),
        cookies: (at) => cookies(registry, at),
        close: () => {
          if (!window.isDestroyed()) window.close();
        },
      };
    },
    cookies,
    close,
    async forget(registry) {
      close(registry);
      await sessionFor(registry).clearStorageData();
    },
  };
}
