import { EventEmitter } from 'node:events';

/**
 * A strict stand-in for the `electron` module, so the built `dist/main/app/main.js` runs under plain Node with the real
 * core behind it. Strict where Electron is: APIs that need `ready` throw before it, schemes must be registered as
 * privileged before `ready` and before `protocol.handle`, and quitting fires before-quit → close (per window) → will-quit
 * → quit, each preventable as in Electron. What it did is kept in `electron.journal` for the tests.
 */

type Listener = (...args: never[]) => unknown;

/** An Electron event object: `preventDefault` and `defaultPrevented`. */
export class FakeEvent {
  defaultPrevented = false;
  constructor(readonly url = '') {}
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

function emitPreventable(emitter: EventEmitter, name: string, ...args: unknown[]): boolean {
  const event = new FakeEvent();
  emitter.emit(name, event, ...args);
  return event.defaultPrevented;
}

class State {
  ready = false;
  quit = false;
  privileged = new Set<string>();
  journal: string[] = [];
  windows: FakeBrowserWindow[] = [];
  trays: FakeTray[] = [];
  notifications: FakeNotification[] = [];
  dialogs: { message: string; detail?: string }[] = [];
  applicationMenu: unknown = 'default';
  crashReporter: Record<string, unknown> | null = null;
  loginItems: { openAtLogin: boolean; args: string[] }[] = [];
  opened: string[] = [];
  nextContentsId = 1;
  userData = '';
  packaged = false;
  appUserModelId: string | null = null;
  /** What an unsigned macOS build (or a Windows without a notification server) does: every notification fails. */
  notificationsFail = false;
  /** No browser to open (a desktop without xdg-open, a broken default browser): `shell.openExternal` rejects. */
  openExternalFails = false;
  netRequests: string[] = [];
}

let state = new State();

function needReady(what: string): void {
  if (!state.ready) throw new Error(`${what} cannot be used before the app is ready`);
}

function record(entry: string): void {
  state.journal.push(entry);
}

class FakeApp extends EventEmitter {
  private readyPromise: Promise<void> | undefined;

  get isPackaged(): boolean {
    return state.packaged;
  }

  whenReady(): Promise<void> {
    this.readyPromise ??= new Promise((resolve) =>
      setImmediate(() => {
        state.ready = true;
        record('ready');
        this.emit('ready');
        resolve();
      }),
    );
    return this.readyPromise;
  }

  isReady(): boolean {
    return state.ready;
  }

  requestSingleInstanceLock(): boolean {
    return true;
  }

  getPath(name: string): string {
    if (name !== 'userData' && name !== 'crashDumps') throw new Error(`fake electron: no path ${name}`);
    return state.userData;
  }

  getVersion(): string {
    return '0.2.0';
  }

  getAppPath(): string {
    return process.cwd();
  }

  setAppUserModelId(id: string): void {
    state.appUserModelId = id;
  }

  getLoginItemSettings(options?: { args?: string[] }): { openAtLogin: boolean; wasOpenedAtLogin: boolean } {
    const args = options?.args ?? [];
    return { openAtLogin: state.loginItems.some((item) => item.openAtLogin && item.args.join(' ') === args.join(' ')), wasOpenedAtLogin: false };
  }

  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void {
    const args = settings.args ?? [];
    state.loginItems = state.loginItems.filter((item) => item.args.join(' ') !== args.join(' '));
    state.loginItems.push({ openAtLogin: settings.openAtLogin, args });
  }

  quit(): void {
    if (state.quit) return;
    record('app.quit called');
    if (emitPreventable(this, 'before-quit')) {
      record('quit prevented by before-quit');
      return;
    }
    for (const window of [...state.windows]) {
      window.close();
      if (!window.isDestroyed()) {
        record('quit prevented by a window');
        return;
      }
    }
    if (emitPreventable(this, 'will-quit')) return;
    state.quit = true;
    record('quit');
    this.emit('quit', new FakeEvent(), 0);
  }

  /** All windows are gone: Electron quits unless someone listens. */
  windowsGone(): void {
    if (this.listenerCount('window-all-closed') === 0) this.quit();
    else this.emit('window-all-closed');
  }
}

export let app = new FakeApp();

class FakeWebContents extends EventEmitter {
  readonly id = state.nextContentsId++;
  url = '';
  sent: { channel: string; payload: unknown }[] = [];
  private destroyed = false;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;

  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }

  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
  }

  getURL(): string {
    return this.url;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  destroy(): void {
    this.destroyed = true;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  visible = false;
  minimized = false;
  private destroyed = false;
  bounds: { x: number; y: number; width: number; height: number };

  constructor(readonly options: { width?: number; height?: number; x?: number; y?: number; show?: boolean; webPreferences?: Record<string, unknown> } = {}) {
    super();
    needReady('BrowserWindow');
    this.bounds = { x: options.x ?? 100, y: options.y ?? 100, width: options.width ?? 800, height: options.height ?? 600 };
    this.visible = options.show !== false;
    state.windows.push(this);
    record('window created');
  }

  static getAllWindows(): FakeBrowserWindow[] {
    return [...state.windows];
  }

  async loadURL(url: string): Promise<void> {
    this.webContents.url = url;
    setImmediate(() => this.emit('ready-to-show'));
  }

  show(): void {
    this.visible = true;
    this.minimized = false;
    record('window shown');
  }

  hide(): void {
    this.visible = false;
    record('window hidden');
  }

  focus(): void {}

  minimize(): void {
    this.minimized = true;
    record('window minimized');
  }

  restore(): void {
    this.minimized = false;
  }

  isMinimized(): boolean {
    return this.minimized;
  }

  isVisible(): boolean {
    return this.visible && !this.minimized;
  }

  getBounds(): { x: number; y: number; width: number; height: number } {
    return { ...this.bounds };
  }

  setTitle(): void {}

  /** What the window manager's close button does. */
  close(): void {
    if (this.destroyed) return;
    if (emitPreventable(this, 'close')) return;
    this.destroy();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.webContents.destroy();
    state.windows = state.windows.filter((window) => window !== this);
    record('window closed');
    this.emit('closed');
    if (state.windows.length === 0 && !state.quit) app.windowsGone();
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }
}

export const BrowserWindow = FakeBrowserWindow;

export interface FakeMenuItem {
  label?: string;
  role?: string;
  type?: string;
  click?: () => void;
  submenu?: FakeMenuItem[];
}

export class FakeTray extends EventEmitter {
  menu: FakeMenuItem[] = [];
  tooltip = '';
  image: unknown;

  constructor(image: unknown) {
    super();
    needReady('Tray');
    this.image = image;
    state.trays.push(this);
    record('tray created');
  }

  setImage(image: unknown): void {
    this.image = image;
  }

  setToolTip(text: string): void {
    this.tooltip = text;
  }

  setContextMenu(menu: { items: FakeMenuItem[] }): void {
    this.menu = menu.items;
  }

  /** Clicks the context-menu entry with this label (searching submenus). */
  clickMenu(label: string): void {
    const find = (items: FakeMenuItem[]): FakeMenuItem | undefined => {
      for (const item of items) {
        if (item.label === label) return item;
        const inner = item.submenu && find(item.submenu);
        if (inner) return inner;
      }
      return undefined;
    };
    const item = find(this.menu);
    if (!item?.click) throw new Error(`no tray menu entry "${label}" in ${JSON.stringify(this.menu.map((entry) => entry.label))}`);
    item.click();
  }
}

export const Tray = FakeTray;

export const Menu = {
  buildFromTemplate: (template: FakeMenuItem[]) => ({ items: template }),
  setApplicationMenu: (menu: { items: FakeMenuItem[] } | null) => {
    state.applicationMenu = menu === null ? null : menu.items;
  },
};

export class FakeNotification extends EventEmitter {
  constructor(readonly options: { title: string; body: string }) {
    super();
    needReady('Notification');
    state.notifications.push(this);
  }

  static isSupported(): boolean {
    return true;
  }

  show(): void {
    if (state.notificationsFail) {
      record(`notification failed: ${this.options.title}`);
      this.emit('failed', new FakeEvent(), 'Notifications are not allowed for this application');
      return;
    }
    record(`notification: ${this.options.title}`);
  }
}

export const Notification = FakeNotification;

class FakeSession extends EventEmitter {
  permissionRequest: ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined;
  permissionCheck: ((contents: unknown, permission: string) => boolean) | undefined;

  setPermissionRequestHandler(handler: FakeSession['permissionRequest']): void {
    this.permissionRequest = handler;
  }

  setPermissionCheckHandler(handler: FakeSession['permissionCheck']): void {
    this.permissionCheck = handler;
  }

  setDevicePermissionHandler(): void {}

  async clearStorageData(): Promise<void> {}

  cookies = { get: async () => [] };
}

const defaultSession = new FakeSession();
const partitions = new Map<string, FakeSession>();

export const session = {
  get defaultSession(): FakeSession {
    needReady('session.defaultSession');
    return defaultSession;
  },
  fromPartition(partition: string): FakeSession {
    needReady('session.fromPartition');
    let found = partitions.get(partition);
    if (!found) partitions.set(partition, (found = new FakeSession()));
    return found;
  },
};

export const protocol = {
  registerSchemesAsPrivileged(schemes: { scheme: string }[]): void {
    if (state.ready) throw new Error('protocol.registerSchemesAsPrivileged must be called before the app is ready');
    for (const { scheme } of schemes) state.privileged.add(scheme);
  },
  handle(scheme: string): void {
    needReady('protocol.handle');
    if (!state.privileged.has(scheme)) throw new Error(`protocol.handle: the scheme ${scheme} was not registered as privileged`);
  },
};

type IpcHandler = (event: unknown, payload: unknown) => Promise<unknown>;
const ipcHandlers = new Map<string, IpcHandler>();

export const ipcMain = {
  handle(channel: string, handler: IpcHandler): void {
    if (ipcHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    ipcHandlers.set(channel, handler);
  },
  removeHandler(channel: string): void {
    ipcHandlers.delete(channel);
  },
  on(): void {},
  /** What the preload's `ipcRenderer.invoke` does, from the given window's page. */
  invoke(channel: string, window: FakeBrowserWindow, payload: unknown): Promise<unknown> {
    const handler = ipcHandlers.get(channel);
    if (!handler) throw new Error(`no IPC handler for ${channel}`);
    return handler({ sender: { id: window.webContents.id }, senderFrame: { url: window.webContents.url } }, payload);
  },
};

export const dialog = {
  async showMessageBox(options: { message: string; detail?: string }): Promise<{ response: number }> {
    needReady('dialog');
    state.dialogs.push({ message: options.message, ...(options.detail ? { detail: options.detail } : {}) });
    record(`dialog: ${options.message}`);
    return { response: 0 };
  },
  showErrorBox(title: string, content: string): void {
    state.dialogs.push({ message: title, detail: content });
    record(`error box: ${title}: ${content}`);
  },
};

export const shell = {
  async openExternal(url: string): Promise<void> {
    if (state.openExternalFails) throw new Error(`Failed to open ${url}: no application is registered for it`);
    state.opened.push(url);
  },
};

export const nativeImage = { createFromPath: (path: string) => ({ path }) };

export const net = {
  isOnline: () => {
    needReady('net.isOnline');
    return true;
  },
  /** Chromium's network stack, here Node's fetch; each URL is kept so a test can see what went this way. */
  fetch: (input: string, init?: RequestInit) => {
    needReady('net.fetch');
    state.netRequests.push(`${init?.method ?? 'GET'} ${new URL(input).pathname}`);
    return globalThis.fetch(input, init);
  },
};

class FakePowerMonitor extends EventEmitter {
  override on(event: string, listener: Listener): this {
    needReady('powerMonitor');
    return super.on(event, listener as (...args: unknown[]) => void);
  }
}

export let powerMonitor = new FakePowerMonitor();

export const screen = {
  getAllDisplays: () => {
    needReady('screen');
    return [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }];
  },
};

export const crashReporter = {
  start(options: Record<string, unknown>): void {
    state.crashReporter = options;
  },
};

/** The test's handle on the fake: what the app did, and a fresh Electron for the next start. */
export const electron = {
  get state(): State {
    return state;
  },
  reset(options: { userData: string; packaged?: boolean; notificationsFail?: boolean; openExternalFails?: boolean }): void {
    state = new State();
    state.userData = options.userData;
    state.packaged = options.packaged ?? false;
    state.notificationsFail = options.notificationsFail ?? false;
    state.openExternalFails = options.openExternalFails ?? false;
    app = new FakeApp();
    powerMonitor = new FakePowerMonitor();
    ipcHandlers.clear();
    partitions.clear();
  },
};

// electron-store reads `app`, `ipcMain` and `shell` from the default export.
export default {
  get app() {
    return app;
  },
  ipcMain,
  shell,
};
