import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

/**
 * A strict stand-in for the `electron` module, so the built `dist/main/app/main.js` runs under plain Node with the real
 * core behind it. Strict where Electron is: APIs that need `ready` throw before it, schemes must be registered as
 * privileged before `ready` and before `protocol.handle`, one instance per userData holds the single-instance lock (a
 * second gets false and the first its 'second-instance' event), a disabled menu entry cannot be clicked, and quitting
 * fires before-quit → close (per window) → will-quit → quit, each preventable as in Electron. What it did, in order, is
 * kept in `electron.journal` for the tests.
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
  dialogs: { message: string; detail?: string; buttons?: string[] }[] = [];
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
  /** An unsigned macOS build: `setLoginItemSettings` returns and changes nothing. */
  loginItemsRefused = false;
  /** Answers a test gave to message boxes ahead of time: the button to press when a box's message contains the key. */
  dialogAnswers: Record<string, string> = {};
  singleInstance: { server: Server; lockFile: string } | undefined;
}

let state = new State();

function needReady(what: string): void {
  if (!state.ready) throw new Error(`${what} cannot be used before the app is ready`);
}

function record(entry: string): void {
  state.journal.push(entry);
}

// The second instance's message to the first: its argv and cwd, to the port in the lock file.
const handOver = `const socket = require('node:net').connect(Number(process.argv[1]), '127.0.0.1', () => socket.end(process.argv[2])); socket.on('close', () => process.exit(0));`;

/** Creates the lock file, or takes it over from a process that died holding it; false while a live one holds it. */
function takeLock(lockFile: string): boolean {
  for (;;) {
    try {
      writeFileSync(lockFile, JSON.stringify({ pid: process.pid }), { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const { pid } = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number };
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      rmSync(lockFile, { force: true });
    }
  }
}

function releaseSingleInstance(): void {
  if (!state.singleInstance) return;
  state.singleInstance.server.close();
  rmSync(state.singleInstance.lockFile, { force: true });
  state.singleInstance = undefined;
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

  /**
   * One instance per userData, as Electron's process singleton: the first holds a lock file naming its pid and a port
   * it listens on; a later one hands its argv to that port and gets false, and the first emits 'second-instance'.
   */
  requestSingleInstanceLock(): boolean {
    const lockFile = join(state.userData, 'FakeElectronSingletonLock');
    mkdirSync(state.userData, { recursive: true });
    if (!takeLock(lockFile)) {
      const holder = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number; port?: number };
      if (holder.port === undefined) throw new Error(`fake electron: the instance holding ${lockFile} (pid ${holder.pid}) does not listen yet`);
      // Synchronous like Electron's: the first instance has the message before this call returns.
      execFileSync(process.execPath, ['-e', handOver, String(holder.port), JSON.stringify({ argv: process.argv, cwd: process.cwd() })], { stdio: 'ignore' });
      record('single-instance lock refused');
      return false;
    }
    const server = createServer((socket) => {
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => {
        const { argv, cwd } = JSON.parse(text) as { argv: string[]; cwd: string };
        record(`second instance: ${argv.slice(2).join(' ')}`);
        this.emit('second-instance', new FakeEvent(), argv, cwd, null);
        socket.end();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      // Renamed into place, so a later instance reads the old content or the new, never half of it.
      writeFileSync(`${lockFile}.new`, JSON.stringify({ pid: process.pid, port: (server.address() as { port: number }).port }));
      renameSync(`${lockFile}.new`, lockFile);
    });
    server.unref();
    state.singleInstance = { server, lockFile };
    record('single-instance lock taken');
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
    record(`setLoginItemSettings openAtLogin=${settings.openAtLogin}`);
    if (state.loginItemsRefused) return;
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
    releaseSingleInstance();
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
  enabled?: boolean;
  checked?: boolean;
  click?: () => void;
  submenu?: FakeMenuItem[];
}

export class FakeTray extends EventEmitter {
  menu: FakeMenuItem[] = [];
  /** The menu as it was when the person opened it: it stays on screen as it was while the app rebuilds the tray's. */
  private opened: FakeMenuItem[] | undefined;
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

  openMenu(): void {
    this.opened = this.menu;
  }

  /**
   * Clicks the entry with this label in the open menu (or the current one), searching submenus from the one whose label
   * starts with `under`. A disabled entry cannot be clicked: Electron greys it out. The menu closes after the click.
   */
  clickMenu(label: string, under?: string): void {
    const shown = this.opened ?? this.menu;
    this.opened = undefined;
    const find = (items: FakeMenuItem[], inside: boolean): FakeMenuItem | undefined => {
      for (const item of items) {
        if (inside && item.label === label) return item;
        const inner = item.submenu && find(item.submenu, inside || (under !== undefined && item.label?.startsWith(under) === true));
        if (inner) return inner;
      }
      return undefined;
    };
    const item = find(shown, under === undefined);
    if (!item?.click) throw new Error(`no tray menu entry "${label}"${under ? ` under "${under}"` : ''} in ${JSON.stringify(shown.map((entry) => entry.label))}`);
    if (item.enabled === false) throw new Error(`the tray menu entry "${label}" is disabled: nobody can click it`);
    record(`tray menu click: ${label}`);
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
    record(`schemes privileged: ${schemes.map(({ scheme }) => scheme).join(' ')}`);
  },
  handle(scheme: string): void {
    needReady('protocol.handle');
    if (!state.privileged.has(scheme)) throw new Error(`protocol.handle: the scheme ${scheme} was not registered as privileged`);
    record(`protocol.handle: ${scheme}`);
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
  invoke(channel: string, window: FakeBrowserWindow, payload: unknown, caller: { id?: number; url?: string } = {}): Promise<unknown> {
    const handler = ipcHandlers.get(channel);
    if (!handler) throw new Error(`no IPC handler for ${channel}`);
    return handler({ sender: { id: caller.id ?? window.webContents.id }, senderFrame: { url: caller.url ?? window.webContents.url } }, payload);
  },
};

export const dialog = {
  /** Answers with the button a test chose for this message (`dialogAnswers`), else the default button, as Enter would. */
  async showMessageBox(options: { message: string; detail?: string; buttons?: string[]; defaultId?: number }): Promise<{ response: number }> {
    needReady('dialog');
    state.dialogs.push({ message: options.message, ...(options.detail ? { detail: options.detail } : {}), ...(options.buttons ? { buttons: options.buttons } : {}) });
    record(`dialog: ${options.message}`);
    const chosen = Object.entries(state.dialogAnswers).find(([about]) => options.message.includes(about))?.[1];
    if (chosen === undefined) return { response: options.defaultId ?? 0 };
    const response = options.buttons?.indexOf(chosen) ?? -1;
    if (response < 0) throw new Error(`fake electron: the dialog "${options.message}" has no button "${chosen}" (${JSON.stringify(options.buttons)})`);
    record(`dialog answered: ${chosen}`);
    return { response };
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
  reset(options: { userData: string; packaged?: boolean; notificationsFail?: boolean; openExternalFails?: boolean; loginItemsRefused?: boolean }): void {
    state = new State();
    state.userData = options.userData;
    state.packaged = options.packaged ?? false;
    state.notificationsFail = options.notificationsFail ?? false;
    state.openExternalFails = options.openExternalFails ?? false;
    state.loginItemsRefused = options.loginItemsRefused ?? false;
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
