import type { BrowserWindow, BrowserWindowConstructorOptions, Rectangle } from 'electron';
import { bridgeEventChannel, type BridgeEvent, type RegistryIntent } from '../api/bridge-contract.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { registryNamePattern } from '../settings/model.js';
import type { PreferenceStore } from './preferences.js';
import { isRendererUrl, rendererOrigin } from './window-security.js';

/** What closing Berth's window does: hide it to the tray, minimise it (no tray, the user's choice), or let it close. */
export type CloseAction = 'hide' | 'minimize' | 'close';

export function closeAction(trayShown: boolean, quitting: boolean, preferences: Pick<PreferenceStore, 'get'>): CloseAction {
  if (quitting) return 'close';
  if (trayShown) return 'hide';
  return preferences.get('closeWithoutTray') === 'quit' ? 'close' : 'minimize';
}

export interface MainWindowOptions {
  create(options: BrowserWindowConstructorOptions): BrowserWindow;
  windowOptions: BrowserWindowConstructorOptions;
  trayShown: boolean;
  preferences: PreferenceStore;
  log: Logger;
  /** Set once the app is quitting: closing the window must not stop it then. */
  quitting(): boolean;
  /** Is any part of these bounds on a display now? A remembered place on a monitor since unplugged is not. */
  onScreen(bounds: Rectangle): boolean;
}

/** Berth's one window: shown at a registry on request, its size and place remembered, closed the way the desktop allows. */
export class MainWindow {
  private window: BrowserWindow | undefined;

  constructor(private readonly options: MainWindowOptions) {}

  /** The window's WebContents id, for judging IPC callers; undefined while there is no window. */
  contentsId(): number | undefined {
    return this.window?.webContents.id;
  }

  show(registry?: { name: string; intent: RegistryIntent | null }): void {
    if (registry) this.options.preferences.set('lastRegistry', registry.name);
    if (!this.window) {
      const name = registry?.name ?? this.options.preferences.get('lastRegistry');
      const params = name ? new URLSearchParams({ registry: name, ...(registry?.intent ? { intent: registry.intent } : {}) }) : undefined;
      this.window = this.open(params ? `#${params}` : '');
      return;
    }
    if (registry) this.send({ type: 'show-registry', name: registry.name, intent: registry.intent });
    if (this.window.isMinimized()) this.window.restore();
    this.window.show();
    this.window.focus();
  }

  send(event: BridgeEvent): void {
    if (this.window && !this.window.webContents.isDestroyed()) this.window.webContents.send(bridgeEventChannel, event);
  }

  private open(hash: string): BrowserWindow {
    const { preferences, log } = this.options;
    const saved = preferences.get('windowBounds');
    const created = this.options.create({ ...this.options.windowOptions, ...(saved && this.options.onScreen(saved) ? saved : {}) });
    const contents = created.webContents;
    // The window shows only Berth's page: no new windows, no navigation, no webviews; links go to the browser via the bridge.
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-navigate', (event) => {
      if (!isRendererUrl(event.url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    // The page keeps the registry it shows in its URL's fragment (`#registry=<name>`): that is the view to reopen.
    contents.on('did-navigate-in-page', (_event, url, isMainFrame) => {
      const name = isMainFrame ? shownRegistry(url) : null;
      if (name) preferences.set('lastRegistry', name);
    });
    created.once('ready-to-show', () => created.show());
    const remember = () => {
      if (!created.isDestroyed() && !created.isMinimized()) preferences.set('windowBounds', roundBounds(created.getBounds()));
    };
    created.on('moved', remember);
    created.on('resized', remember);
    created.on('close', (event) => {
      remember();
      const action = closeAction(this.options.trayShown, this.options.quitting(), preferences);
      if (action === 'close') return;
      event.preventDefault();
      if (action === 'hide') created.hide();
      else created.minimize();
    });
    created.on('closed', () => {
      if (this.window === created) this.window = undefined;
    });
    created.loadURL(`${rendererOrigin}/index.html${hash}`).catch((error: unknown) => log.error('window page did not load', { reason: errorMessage(error) }));
    return created;
  }
}

/** The registry a page URL of Berth's window shows, if any (a name Berth could have; anything else is ignored). */
export function shownRegistry(url: string): string | null {
  if (!isRendererUrl(url)) return null;
  const name = new URLSearchParams(new URL(url).hash.slice(1)).get('registry');
  return name !== null && registryNamePattern.test(name) ? name : null;
}

/** Does any part of `bounds` lie in one of these work areas? */
export function visibleOn(areas: Rectangle[], bounds: Rectangle): boolean {
  return areas.some((area) => bounds.x < area.x + area.width && bounds.x + bounds.width > area.x && bounds.y < area.y + area.height && bounds.y + bounds.height > area.y);
}

function roundBounds(bounds: Rectangle): Rectangle {
  return { x: Math.round(bounds.x), y: Math.round(bounds.y), width: Math.round(bounds.width), height: Math.round(bounds.height) };
}
