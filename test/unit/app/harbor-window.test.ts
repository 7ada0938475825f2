import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BrowserWindowConstructorOptions } from 'electron';
import { electronHarborWindows, navigationAllowed, type SignInBrowserWindow, type SignInElectron, type SignInSession } from '../../../main/app/harbor-window.js';

type Listener = (...args: unknown[]) => unknown;

/** Event listeners by name, called the way Electron calls them. */
class Emitter {
  readonly listeners = new Map<string, Listener[]>();
  on(name: string, listener: Listener) {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), listener]);
    return this;
  }
  emit(name: string, ...args: unknown[]): unknown[] {
    return (this.listeners.get(name) ?? []).map((listener) => listener(...args));
  }
}

/** A cancellable Electron event. */
function event(url = '') {
  return { url, defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
}

class FakeWindow extends Emitter {
  readonly webContents = Object.assign(new Emitter(), { openHandler: undefined as undefined | (() => unknown), setWindowOpenHandler(handler: () => unknown) { this.openHandler = handler; } });
  title: string;
  loaded: string[] = [];
  destroyed = false;
  constructor(readonly options: BrowserWindowConstructorOptions) {
    super();
    this.title = options.title ?? '';
  }
  loadURL(url: string) {
    this.loaded.push(url);
    return Promise.resolve();
  }
  setTitle(title: string) {
    this.title = title;
  }
  isDestroyed() {
    return this.destroyed;
  }
  close() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('closed');
  }
  focus() {}
}

class FakeSession extends Emitter {
  permissionRequest?: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void;
  permissionCheck?: () => boolean;
  deviceCheck?: () => boolean;
  cleared = 0;
  readonly cookieQueries: unknown[] = [];
  readonly cookies = {
    get: async (filter: unknown) => {
      this.cookieQueries.push(filter);
      return [{ name: 'sid', value: 'abc', domain: 'harbor.example.org', httpOnly: true }, { name: '_gorilla_csrf', value: 'tok', domain: 'harbor.example.org' }];
    },
  };
  setPermissionRequestHandler(handler: FakeSession['permissionRequest']) {
    this.permissionRequest = handler;
  }
  setPermissionCheckHandler(handler: () => boolean) {
    this.permissionCheck = handler;
  }
  setDevicePermissionHandler(handler: () => boolean) {
    this.deviceCheck = handler;
  }
  clearStorageData() {
    this.cleared += 1;
    return Promise.resolve();
  }
}

function fakeElectron() {
  const windows: FakeWindow[] = [];
  const sessions = new Map<string, FakeSession>();
  const electron: SignInElectron = {
    createWindow: (options) => {
      const window = new FakeWindow(options);
      windows.push(window);
      return window as unknown as SignInBrowserWindow;
    },
    fromPartition: (partition) => {
      const session = sessions.get(partition) ?? new FakeSession();
      sessions.set(partition, session);
      return session as unknown as SignInSession;
    },
  };
  const warnings: string[] = [];
  return { electron, windows, sessions, warnings, log: { warn: (message: string) => void warnings.push(message) } };
}

test('the sign-in window is a plain, sandboxed web window in the registry’s own persistent session, with no preload', async () => {
  const { electron, windows, log } = fakeElectron();
  await electronHarborWindows(electron, log).open('work', 'https://harbor.example.org/c/oidc/login');
  const [window] = windows;
  assert.ok(window);
  const preferences = window.options.webPreferences ?? {};
  assert.deepEqual(preferences, {
    partition: 'persist:harbor-work',
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
  });
  assert.ok(!('preload' in preferences), 'no preload: the page cannot reach Berth');
  assert.deepEqual(window.loaded, ['https://harbor.example.org/c/oidc/login']);
  assert.equal(window.title, 'https://harbor.example.org — Berth: sign in to work');
});

test('its session refuses every permission and every download; new windows and webviews are refused', async () => {
  const { electron, windows, sessions, log } = fakeElectron();
  const harborWindows = electronHarborWindows(electron, log);
  await harborWindows.open('work', 'https://harbor.example.org/c/oidc/login');
  const session = sessions.get('persist:harbor-work') as FakeSession;
  const granted: boolean[] = [];
  for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) session.permissionRequest?.({}, permission, (answer) => granted.push(answer));
  assert.deepEqual(granted, [false, false, false, false, false]);
  assert.equal(session.permissionCheck?.(), false);
  assert.equal(session.deviceCheck?.(), false);
  const download = event();
  session.emit('will-download', download);
  assert.equal(download.defaultPrevented, true);
  const contents = (windows[0] as FakeWindow).webContents;
  assert.deepEqual(contents.openHandler?.(), { action: 'deny' });
  const webview = event();
  contents.emit('will-attach-webview', webview);
  assert.equal(webview.defaultPrevented, true);
  // A second window for the same registry does not stack a second set of handlers on the session.
  await harborWindows.open('work', 'https://harbor.example.org/c/oidc/login');
  assert.equal(session.listeners.get('will-download')?.length, 1);
});

test('navigation and redirects go only to https pages (http only on this machine)', async () => {
  const { electron, windows, warnings, log } = fakeElectron();
  await electronHarborWindows(electron, log).open('work', 'https://harbor.example.org/c/oidc/login');
  const contents = (windows[0] as FakeWindow).webContents;
  const outcomes = (name: string) =>
    ['https://sso.example.org/realms/corp/protocol/openid-connect/auth', 'http://127.0.0.1:8080/c/oidc/callback', 'http://sso.example.org/login', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://share/x', 'msauth://open'].map((url) => {
      const navigation = event(url);
      contents.emit(name, navigation);
      return navigation.defaultPrevented ? 'blocked' : 'allowed';
    });
  const expected = ['allowed', 'allowed', 'blocked', 'blocked', 'blocked', 'blocked', 'blocked'];
  assert.deepEqual(outcomes('will-navigate'), expected);
  assert.deepEqual(outcomes('will-redirect'), expected);
  assert.equal(warnings.length, 10);
  assert.equal(navigationAllowed('not a url'), false);
});

test('the title always shows the origin of the page, never what the page calls itself; each navigation reaches Berth in order', async () => {
  const { electron, windows, log } = fakeElectron();
  const window = await electronHarborWindows(electron, log).open('work', 'https://harbor.example.org/c/oidc/login');
  const fake = windows[0] as FakeWindow;
  const titled = event();
  fake.webContents.emit('page-title-updated', titled, 'Harbor — totally your bank');
  assert.equal(titled.defaultPrevented, true);
  fake.webContents.emit('did-navigate', event(), 'https://sso.example.org/realms/corp/login?x=1');
  assert.equal(fake.title, 'https://sso.example.org — Berth: sign in to work');
  fake.webContents.emit('did-navigate-in-page', event(), 'https://sso.example.org/frame', false);
  fake.webContents.emit('did-navigate', event(), 'https://harbor.example.org/');
  fake.webContents.emit('did-navigate-in-page', event(), 'https://harbor.example.org/harbor/projects', true);
  assert.equal(fake.title, 'https://harbor.example.org — Berth: sign in to work');
  assert.deepEqual(
    [await window.nextPage(), await window.nextPage(), await window.nextPage()],
    ['https://sso.example.org/realms/corp/login?x=1', 'https://harbor.example.org/', 'https://harbor.example.org/harbor/projects'],
  );
  const waiting = window.nextPage();
  fake.close();
  assert.equal(await waiting, null, 'closing the window ends the wait');
  assert.equal(await window.nextPage(), null);
});

test('cookies come from the registry’s session for the URL asked; close and forget reach the right window and session', async () => {
  const { electron, windows, sessions, log } = fakeElectron();
  const harborWindows = electronHarborWindows(electron, log);
  const window = await harborWindows.open('work', 'https://harbor.example.org/c/oidc/login');
  assert.deepEqual(await window.cookies('https://harbor.example.org/'), [
    { name: 'sid', value: 'abc' },
    { name: '_gorilla_csrf', value: 'tok' },
  ]);
  assert.deepEqual(await harborWindows.cookies('home', 'https://home.example.org/'), [
    { name: 'sid', value: 'abc' },
    { name: '_gorilla_csrf', value: 'tok' },
  ]);
  assert.deepEqual((sessions.get('persist:harbor-work') as FakeSession).cookieQueries, [{ url: 'https://harbor.example.org/' }]);
  assert.deepEqual((sessions.get('persist:harbor-home') as FakeSession).cookieQueries, [{ url: 'https://home.example.org/' }]);

  // Opening again replaces the open window; close and forget end it; forget clears only that registry's session.
  await harborWindows.open('work', 'https://harbor.example.org/c/oidc/login');
  assert.deepEqual(windows.map((fake) => fake.destroyed), [true, false]);
  harborWindows.close('work');
  assert.deepEqual(windows.map((fake) => fake.destroyed), [true, true]);
  await harborWindows.open('work', 'https://harbor.example.org/c/oidc/login');
  await harborWindows.forget('work');
  assert.equal(windows[2]?.destroyed, true);
  assert.equal((sessions.get('persist:harbor-work') as FakeSession).cleared, 1);
  assert.equal((sessions.get('persist:harbor-home') as FakeSession).cleared, 0);
});
