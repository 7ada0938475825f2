import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, net, Notification, powerMonitor, protocol, session, shell, Tray } from 'electron';
import { bridgeHandlers, externalUrlAllowed, forwardBridgeEvents } from '../api/bridge.js';
import { bridgeEventChannel, type BridgeEvent, type RegistryIntent } from '../api/bridge-contract.js';
import { createNodeApi } from '../api/node.js';
import { errorMessage } from '../errors.js';
import { fileLogger, type Logger } from '../log/logger.js';
import { configDir, logFile } from '../settings/paths.js';
import { electronHarborWindows } from './harbor-window.js';
import { autostartFile, hiddenFlag, launchCommand, xdgStartAtLogin, type StartAtLogin } from './autostart.js';
import { registerBridge } from './ipc.js';
import { fileNoticeMemory, NotificationPolicy, type Notice } from './notifications.js';
import { menuTemplate, trayModel, type TrayAction, type TrayLevel } from './tray-model.js';
import { isRendererUrl, rendererOrigin, rendererResponse, rendererScheme, windowOptions } from './window-security.js';

// Compiled to dist/main/app/: the built page is in dist/renderer, the bundled preload beside this file, icons in assets/.
const here = dirname(fileURLToPath(import.meta.url));
const rendererRoot = join(here, '..', '..', 'renderer');
const preloadFile = join(here, 'preload.cjs');
const assetsDir = join(here, '..', '..', '..', 'assets');

// Expiring comes with time alone, and the CLI changes status in other processes: look again every minute.
const reviewIntervalMs = 60_000;
const onlinePollMs = 30_000;

protocol.registerSchemesAsPrivileged([{ scheme: rendererScheme, privileges: { standard: true, secure: true } }]);

/** Electron's userData (~/.config/Berth on Linux), the folder the CLI uses too; `$BERTH_HOME` wins, as in the CLI. */
function berthHome(): string {
  return process.env.BERTH_HOME ? configDir() : app.getPath('userData');
}

async function serveRenderer(request: Request): Promise<Response> {
  const { status, headers, body } = await rendererResponse(request.url, rendererRoot);
  return new Response(body, { status, headers });
}

function loginItems(): StartAtLogin {
  if (process.platform === 'linux') {
    return xdgStartAtLogin(autostartFile(process.env), launchCommand(process.env, process.execPath, app.isPackaged ? null : app.getAppPath()));
  }
  return {
    get: () => app.getLoginItemSettings().openAtLogin,
    set: (on) => app.setLoginItemSettings({ openAtLogin: on, args: [hiddenFlag] }),
  };
}

function startedAtLogin(): boolean {
  return process.argv.includes(hiddenFlag) || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);
}

function trayIcon(level: TrayLevel): Electron.NativeImage {
  return nativeImage.createFromPath(join(assetsDir, 'tray', `${level}.png`));
}

function start(): void {
  const dir = berthHome();
  const log: Logger = fileLogger(logFile(dir));
  // Harbor's web login opens in Berth's own locked-down window, one persistent browser session per registry.
  const webWindows = electronHarborWindows({ createWindow: (options) => new BrowserWindow(options), fromPartition: (partition) => session.fromPartition(partition) }, log);
  const api = createNodeApi(process.env, { dir, log, webWindows });
  log.info('app started', { version: app.getVersion(), registries: api.listRegistries().length });
  protocol.handle(rendererScheme, serveRenderer);

  let mainWindow: BrowserWindow | undefined;
  let quitting = false;
  const startAtLogin = loginItems();

  function createWindow(hash: string): BrowserWindow {
    const created = new BrowserWindow(windowOptions(preloadFile));
    const contents = created.webContents;
    // The window shows only Berth's page: no new windows, no navigation, no webviews; links go to the browser via the bridge.
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-navigate', (event) => {
      if (!isRendererUrl(event.url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    created.once('ready-to-show', () => created.show());
    created.on('close', (event) => {
      // Closing the window leaves Berth in the tray; Quit in the tray menu ends it.
      if (!quitting) {
        event.preventDefault();
        created.hide();
      }
    });
    created.on('closed', () => {
      if (mainWindow === created) mainWindow = undefined;
    });
    created.loadURL(`${rendererOrigin}/index.html${hash}`).catch((error: unknown) => log.error('window page did not load', { reason: errorMessage(error) }));
    return created;
  }

  /** Shows the window, at one registry when given (a new window reads it from the URL, an open one from an event). */
  function showWindow(registry?: { name: string; intent: RegistryIntent | null }): void {
    if (!mainWindow) {
      const hash = registry ? `#${new URLSearchParams({ registry: registry.name, ...(registry.intent ? { intent: registry.intent } : {}) })}` : '';
      mainWindow = createWindow(hash);
      return;
    }
    if (registry) send({ type: 'show-registry', name: registry.name, intent: registry.intent });
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  }

  function send(event: BridgeEvent): void {
    if (mainWindow && !mainWindow.webContents.isDestroyed()) mainWindow.webContents.send(bridgeEventChannel, event);
  }

  const handlers = bridgeHandlers(api, {
    openBrowser: (url) => shell.openExternal(url),
    openExternal: (url) => shell.openExternal(url),
    startAtLogin,
  });
  registerBridge(
    ipcMain,
    handlers,
    (caller) => mainWindow !== undefined && caller.sender.id === mainWindow.webContents.id && isRendererUrl(caller.senderFrame?.url),
    log,
  );
  forwardBridgeEvents(api, send);

  const tray = new Tray(trayIcon('fine'));
  const shown = new Set<Notification>();
  const policy = new NotificationPolicy(fileNoticeMemory(join(dir, 'notices.json')));

  function notify(notice: Notice | null): void {
    if (!notice || !Notification.isSupported()) return;
    const notification = new Notification({ title: notice.title, body: notice.body });
    // Linux notifications have no buttons: the click itself opens the window at the registry.
    notification.on('click', () => showWindow({ name: notice.registry, intent: null }));
    notification.on('close', () => shown.delete(notification));
    shown.add(notification);
    notification.show();
    log.info('notified', { registry: notice.registry, kind: notice.kind });
  }

  function runAction(action: TrayAction): void {
    switch (action.type) {
      case 'sign-in':
        handlers.signIn(action.name).catch((error: unknown) => log.warn('sign-in from the tray failed', { registry: action.name, reason: errorMessage(error) }));
        return;
      case 'refresh':
        void api.refresh(action.name);
        return;
      case 'regenerate':
      case 'check':
        showWindow({ name: action.name, intent: action.type });
        return;
      case 'open-url':
        if (externalUrlAllowed(action.url, api.trustedOrigins())) void shell.openExternal(action.url);
        return;
      case 'open-window':
        showWindow();
        return;
      case 'toggle-start-at-login':
        startAtLogin.set(!startAtLogin.get());
        review();
        return;
      case 'quit':
        quitting = true;
        app.quit();
    }
  }

  function review(): void {
    const views = api.listRegistries();
    const model = trayModel(views, { now: Date.now(), startAtLogin: startAtLogin.get() });
    tray.setImage(trayIcon(model.level));
    tray.setToolTip(model.tooltip);
    tray.setContextMenu(Menu.buildFromTemplate(menuTemplate(model.menu, runAction)));
    for (const notice of policy.update(views)) notify(notice);
  }

  api.on('registry-updated', review);
  api.on('registry-removed', review);
  api.on('secret-regenerated', ({ view }) => notify(policy.secretRegenerated(view)));
  review();
  const reviewTimer = setInterval(review, reviewIntervalMs);

  const keepAlive = api.keepAliveScheduler();
  keepAlive.start();
  // Timers do not run while the machine sleeps, and passes fail while it is offline: catch up on wake and on reconnect.
  powerMonitor.on('resume', () => keepAlive.nudge());
  let online = net.isOnline();
  const onlineTimer = setInterval(() => {
    const now = net.isOnline();
    if (now && !online) keepAlive.nudge();
    online = now;
  }, onlinePollMs);

  app.on('before-quit', () => {
    quitting = true;
    clearInterval(reviewTimer);
    clearInterval(onlineTimer);
    void keepAlive.stop();
  });
  app.on('second-instance', () => showWindow());
  // macOS: a click on the dock icon reopens the window.
  app.on('activate', () => showWindow());
  if (!startedAtLogin()) showWindow();
}

function failToStart(error: unknown): void {
  dialog.showErrorBox('Berth could not start', errorMessage(error));
  app.quit();
}

if (!app.requestSingleInstanceLock()) {
  // Berth already runs; that instance gets 'second-instance' and shows its window.
  app.quit();
} else {
  // Berth lives in the tray: closing its window does not end it.
  app.on('window-all-closed', () => undefined);
  app
    .whenReady()
    .then(start)
    .catch(failToStart);
}
