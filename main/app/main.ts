import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, crashReporter, dialog, ipcMain, Menu, nativeImage, net, Notification, powerMonitor, protocol, screen, session, shell, Tray } from 'electron';
import { bridgeHandlers, externalUrlAllowed, forwardBridgeEvents, type DesktopShell } from '../api/bridge.js';
import { createNodeApi } from '../api/node.js';
import { mergedPath, terminalPath } from '../credentials/terminal-path.js';
import { errorMessage } from '../errors.js';
import { fileLogger, type Logger } from '../log/logger.js';
import { useAppNetwork } from '../net/network.js';
import { configDir, logFile } from '../settings/paths.js';
import { applicationMenu } from './app-menu.js';
import { autostartFile, electronStartAtLogin, hiddenFlag, launchCommand, xdgStartAtLogin, type StartAtLogin } from './autostart.js';
import { recordFailures } from './diagnostics.js';
import { electronHarborWindows } from './harbor-window.js';
import { fromBerthWindow, registerBridge } from './ipc.js';
import { MainWindow, visibleOn } from './main-window.js';
import { fileNoticeMemory, NotificationPolicy, type Notice } from './notifications.js';
import { quitAfter } from './orderly-quit.js';
import { openPreferences, type PreferenceStore } from './preferences.js';
import { trayHostPresent } from './tray-host.js';
import { menuTemplate, trayModel, type TrayAction, type TrayLevel } from './tray-model.js';
import { installKind, Updates } from './updates.js';
import { rendererResponse, rendererScheme, windowOptions } from './window-security.js';

// Compiled to dist/main/app/: the built page is in dist/renderer, the bundled preload beside this file, icons in assets/.
const here = dirname(fileURLToPath(import.meta.url));
const rendererRoot = join(here, '..', '..', 'renderer');
const preloadFile = join(here, 'preload.cjs');
const assetsDir = join(here, '..', '..', '..', 'assets');

/** The same id as electron-builder's `appId`: Windows groups toasts and the Start-menu shortcut by it. */
const appUserModelId = 'org.berth.app';

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

function loginItems(log: Logger): StartAtLogin {
  if (process.platform === 'linux') {
    return xdgStartAtLogin(autostartFile(process.env), launchCommand(process.env, process.execPath, app.isPackaged ? null : app.getAppPath()));
  }
  // An unsigned macOS build's login item may silently not change: the person hears of it, and the toggle shows what is.
  return electronStartAtLogin(app, (wanted) => {
    log.warn('the login item did not change', { wanted, platform: process.platform });
    const where = process.platform === 'darwin' ? 'System Settings → General → Login Items' : 'Task Manager → Startup apps';
    void dialog.showMessageBox({
      type: 'warning',
      title: 'Berth',
      message: `${process.platform === 'darwin' ? 'macOS' : 'Windows'} did not ${wanted ? 'add Berth to' : 'remove Berth from'} the apps that start at login.`,
      detail: `${process.platform === 'darwin' ? 'This copy of Berth is not signed, and macOS ignores login items of unsigned apps without saying so. ' : ''}${wanted ? 'Add' : 'Remove'} Berth yourself in ${where}.`,
      buttons: ['OK'],
    });
  });
}

function startedAtLogin(): boolean {
  return process.argv.includes(hiddenFlag) || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);
}

function trayIcon(level: TrayLevel): Electron.NativeImage {
  return nativeImage.createFromPath(join(assetsDir, 'tray', `${level}.png`));
}

/** No page of Berth's asks for a camera, a notification permission or a download: every request is refused. */
function lockDown(target: Electron.Session): void {
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
  target.on('will-download', (event) => event.preventDefault());
}

/** Without a tray the window is the app: said once, with what closing it does and how to get a tray on GNOME. */
async function explainMissingTray(preferences: PreferenceStore, log: Logger): Promise<void> {
  if (preferences.get('trayMissingExplained')) return;
  const closing = preferences.get('closeWithoutTray') === 'quit' ? 'quits Berth' : 'minimises it, and Berth keeps your logins alive';
  await dialog.showMessageBox({
    type: 'info',
    title: 'Berth',
    message: 'Your desktop shows no tray icons, so Berth runs as a window.',
    detail: `Closing the window ${closing} (you can change this in Settings); Quit in the window ends Berth. On GNOME, the "AppIndicator and KStatusNotifierItem Support" extension brings Berth's tray icon back.`,
    buttons: ['OK'],
  });
  preferences.set('trayMissingExplained', true);
  log.info('explained the missing tray');
}

/** Asks the person before Berth takes its updates from a server a registry profile named: what it installs runs as them. */
async function updateServerAgreed(url: string, why: string): Promise<boolean> {
  const { response } = await dialog.showMessageBox({
    type: 'question',
    title: 'Berth',
    message: `Take Berth's updates from ${url}?`,
    detail: `${why} From its next start, Berth would download new versions of itself from this server and install them when it quits. Agree only if your administrator told you to use it.`,
    buttons: ['Use this server', 'Not now'],
    defaultId: 1,
    cancelId: 1,
  });
  return response === 0;
}

async function start(dir: string, log: Logger): Promise<void> {
  // Asked first: the login shell answers while the rest of the start-up runs.
  const askedTerminal = terminalPath(process.env);
  if (process.platform === 'win32') app.setAppUserModelId(appUserModelId);
  const menu = applicationMenu(process.platform, app.isPackaged);
  if (menu !== undefined) Menu.setApplicationMenu(menu && Menu.buildFromTemplate(menu));
  lockDown(session.defaultSession);
  app.on('render-process-gone', (_event, contents, details) => log.error('a page crashed', { url: contents.getURL().slice(0, 200), reason: details.reason, exitCode: details.exitCode }));
  app.on('child-process-gone', (_event, details) => log.error('a helper process ended', { type: details.type, reason: details.reason, exitCode: details.exitCode }));

  // Requests go through Chromium's network stack: the system proxy and the OS certificate store, as in the browser.
  useAppNetwork((url, init) => net.fetch(url instanceof URL ? url.href : url, init));
  const { preferences, problem: preferencesProblem } = openPreferences(dir, app.getVersion(), log);
  const trayShown = await trayHostPresent(process.platform, process.env);
  // Harbor's web login opens in Berth's own locked-down window, one persistent browser session per registry.
  const webWindows = electronHarborWindows({ createWindow: (options) => new BrowserWindow(options), fromPartition: (partition) => session.fromPartition(partition) }, log);
  // Docker's credential helpers are found, and judged to be on PATH, as docker in the user's terminal finds them.
  const terminal = await askedTerminal;
  if (terminal) process.env.PATH = mergedPath(terminal, process.env.PATH);
  else if (process.platform !== 'win32') log.warn("the login shell did not say its PATH: docker's credential helpers are looked for on the app's own PATH", { shell: process.env.SHELL ?? null });
  const api = createNodeApi(process.env, { dir, log, webWindows });
  log.info('app started', { version: app.getVersion(), registries: api.listRegistries().length, tray: trayShown });
  protocol.handle(rendererScheme, serveRenderer);

  let quitting = false;
  const startAtLogin = loginItems(log);
  const window = new MainWindow({
    create: (options) => new BrowserWindow(options),
    windowOptions: windowOptions(preloadFile, !app.isPackaged),
    trayShown,
    preferences,
    log,
    quitting: () => quitting,
    onScreen: (bounds) => visibleOn(screen.getAllDisplays().map((display) => display.workArea), bounds),
  });
  // Without a tray, a window closed for good is the app closed.
  app.on('window-all-closed', () => {
    if (!trayShown) app.quit();
  });

  const updates = new Updates({
    kind: installKind(process.platform, app.isPackaged, process.env, process.resourcesPath),
    version: app.getVersion(),
    updater: async () => (await import('electron-updater')).autoUpdater,
    source: () => {
      const server = preferences.get('updateServer');
      return server?.confirmed ? server.url : null;
    },
    bundledFeed: process.resourcesPath !== undefined && existsSync(join(process.resourcesPath, 'app-update.yml')),
    automatic: () => preferences.get('autoUpdate'),
    notify: (title, body) => showNotification({ title, body }),
    log,
  });
  const desktop: DesktopShell = {
    trayShown,
    preferences: () => ({ closeWithoutTray: preferences.get('closeWithoutTray'), notifications: preferences.get('notifications'), autoUpdate: updates.automatic() }),
    setPreferences: (change) => {
      if (change.closeWithoutTray !== undefined) preferences.set('closeWithoutTray', change.closeWithoutTray);
      if (change.notifications !== undefined) preferences.set('notifications', change.notifications);
      if (change.autoUpdate !== undefined) preferences.set('autoUpdate', change.autoUpdate);
    },
    quit: () => app.quit(),
    updatesOtherwise: () => updates.otherwise(),
    checkForUpdates: () => updates.checkNow(),
    offerUpdateServer: async (url, registry) => {
      if (!(await updateServerAgreed(url, `The profile you added ${registry} from names this update server.`))) {
        log.info('update server not taken', { url, registry });
        return false;
      }
      preferences.set('updateServer', { url, registry, confirmed: true });
      log.info('updates come from the server a profile named', { url, registry });
      return true;
    },
  };
  const handlers = bridgeHandlers(api, { openBrowser: (url) => shell.openExternal(url), openExternal: (url) => shell.openExternal(url), startAtLogin, desktop });
  registerBridge(ipcMain, handlers, fromBerthWindow(() => window.contentsId()), log);
  forwardBridgeEvents(api, (event) => window.send(event));

  const shown = new Set<Notification>();
  const policy = new NotificationPolicy(fileNoticeMemory(join(dir, 'notices.json')));

  /** A notification, if the person wants them; a click opens the window (at the registry it is about). */
  function showNotification(content: { title: string; body: string }, about?: Notice): void {
    if (!preferences.get('notifications') || !Notification.isSupported()) return;
    const notification = new Notification(content);
    // Linux notifications have no buttons: the click itself opens the window at the registry.
    notification.on('click', () => window.show(about ? { name: about.registry, intent: null } : undefined));
    notification.on('close', () => shown.delete(notification));
    // An unsigned macOS build, or a desktop without a notification server, refuses quietly: at least the log knows.
    notification.on('failed', (_event, error) => log.warn('notification not shown', { registry: about?.registry, kind: about?.kind, reason: error }));
    shown.add(notification);
    notification.show();
  }

  function notify(notice: Notice | null): void {
    if (!notice) return;
    showNotification({ title: notice.title, body: notice.body }, notice);
    log.info('notified', { registry: notice.registry, kind: notice.kind });
  }

  /**
   * A tray click runs outside any caller: a failure (a registry removed meanwhile, a browser that will not open) is
   * logged and told in a notification, never thrown, and the menu is rebuilt so a stale entry goes away.
   */
  function guarded(what: string, registry: string | undefined, run: () => unknown): void {
    Promise.resolve()
      .then(run)
      .catch((error: unknown) => {
        const reason = errorMessage(error);
        log.warn(`${what} from the tray failed`, { registry, reason });
        showNotification({ title: `${what[0]?.toUpperCase()}${what.slice(1)} from the tray failed`, body: reason });
        review();
      });
  }

  function runAction(action: TrayAction): void {
    switch (action.type) {
      case 'sign-in':
        return guarded('sign-in', action.name, () => handlers.signIn(action.name));
      case 'refresh':
        return guarded('refresh', action.name, () => api.refresh(action.name));
      case 'regenerate':
      case 'check':
      case 'replace':
        return window.show({ name: action.name, intent: action.type });
      case 'open-url':
        return guarded('opening a page', undefined, () => (externalUrlAllowed(action.url, api.trustedOrigins()) ? shell.openExternal(action.url) : undefined));
      case 'open-window':
        return window.show();
      case 'toggle-start-at-login':
        return guarded('start at login', undefined, () => {
          startAtLogin.set(!startAtLogin.get());
          review();
        });
      case 'check-updates':
        return guarded('checking for updates', undefined, async () => {
          const answer = await updates.checkNow();
          await dialog.showMessageBox({ type: 'info', title: 'Berth', message: 'Updates', detail: answer, buttons: ['OK'] });
        });
      case 'quit':
        app.quit();
    }
  }

  const tray = trayShown ? new Tray(trayIcon('fine')) : undefined;
  // Windows and Linux hosts send a plain click: it opens the window (macOS opens the menu by itself).
  if (tray && process.platform !== 'darwin') tray.on('click', () => window.show());

  const keepAlive = api.keepAliveScheduler();
  function review(): void {
    const views = api.listRegistries();
    if (tray) {
      const model = trayModel(views, { now: Date.now(), startAtLogin: startAtLogin.get() });
      tray.setImage(trayIcon(model.level));
      tray.setToolTip(model.tooltip);
      tray.setContextMenu(Menu.buildFromTemplate(menuTemplate(model.menu, runAction)));
    }
    for (const notice of policy.update(views)) notify(notice);
  }

  api.on('registry-updated', review);
  api.on('registry-removed', review);
  api.on('secret-regenerated', ({ view }) => notify(policy.secretRegenerated(view)));
  api.on('targets-repaired', ({ name }) => {
    const view = api.listRegistries().find((candidate) => candidate.name === name);
    if (view) notify(policy.targetsRestored(view));
  });
  review();
  // Other processes (the CLI) change status.json too: what they changed, a journal they left open included, is picked up within a minute.
  const reviewTimer = setInterval(() => {
    keepAlive.sync();
    review();
  }, reviewIntervalMs);

  // At start, anything due runs, and so does a regenerate's journal a killed CLI left open.
  keepAlive.start();
  // A `docker logout` or a `docker login` over Berth's entry is undone at once, so `valid` holds between passes.
  const stopWatchingTargets = api.watchCredentialTargets();
  // Timers do not run while the machine sleeps, and passes fail while it is offline: catch up on wake and on reconnect.
  powerMonitor.on('resume', () => keepAlive.nudge());
  let online = net.isOnline();
  const onlineTimer = setInterval(() => {
    const now = net.isOnline();
    if (now && !online) keepAlive.nudge();
    online = now;
  }, onlinePollMs);

  updates.start();
  quitAfter(app, async () => void (await Promise.all([keepAlive.stop(), stopWatchingTargets()])), log, () => {
    quitting = true;
    updates.stop();
    clearInterval(reviewTimer);
    clearInterval(onlineTimer);
  });
  app.on('second-instance', () => window.show());
  // macOS: a click on the dock icon reopens the window.
  app.on('activate', () => window.show());

  if (trayShown) {
    if (!startedAtLogin()) window.show();
  } else {
    if (startedAtLogin()) log.info('started at login on a desktop without a tray: the window opens anyway (--hidden ignored)');
    window.show();
    await explainMissingTray(preferences, log);
  }
  if (preferencesProblem) await dialog.showMessageBox({ type: 'warning', title: 'Berth', message: 'Berth could not read its app preferences.', detail: preferencesProblem, buttons: ['OK'] });
  await settleUpdateServer(preferences, log);
}

/** A server an earlier Berth took from a profile without asking (see the preferences' migrations) is used only once agreed to. */
async function settleUpdateServer(preferences: PreferenceStore, log: Logger): Promise<void> {
  const server = preferences.get('updateServer');
  if (!server || server.confirmed) return;
  const agreed = await updateServerAgreed(server.url, 'An earlier version of Berth took this update server from a registry profile without asking you, and has not used it since.');
  preferences.set('updateServer', agreed ? { ...server, confirmed: true } : null);
  log.info(agreed ? 'update server agreed to' : 'update server dropped', { url: server.url });
}

function failToStart(log: Logger, error: unknown): void {
  log.error('the app could not start', { reason: errorMessage(error) });
  dialog.showErrorBox('Berth could not start', errorMessage(error));
  app.quit();
}

if (!app.requestSingleInstanceLock()) {
  // Berth already runs; that instance gets 'second-instance' and shows its window.
  app.quit();
} else {
  const dir = berthHome();
  const log = fileLogger(logFile(dir));
  recordFailures(log, crashReporter);
  app
    .whenReady()
    .then(() => start(dir, log))
    .catch((error: unknown) => failToStart(log, error));
}
