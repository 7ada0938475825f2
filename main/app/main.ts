import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, powerMonitor } from 'electron';
import { errorMessage } from '../errors.js';
import { fileLogger, type Logger } from '../log/logger.js';
import { configDir, logFile } from '../settings/paths.js';
import { createNodeApi } from '../api/node.js';

// The compiled file is dist/main/app/main.js; the page is not compiled and stays in renderer/.
const placeholderPage = fileURLToPath(new URL('../../../renderer/index.html', import.meta.url));

let mainWindow: BrowserWindow | undefined;

/** Electron's userData (~/.config/Berth on Linux), the folder the CLI uses too; `$BERTH_HOME` wins, as in the CLI. */
function berthHome(): string {
  return process.env.BERTH_HOME ? configDir() : app.getPath('userData');
}

function createWindow(log: Logger): BrowserWindow {
  const created = new BrowserWindow({
    width: 720,
    height: 520,
    title: 'Berth',
    webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true },
  });
  // Berth's window only ever shows its own page: links and scripts can neither open windows nor navigate it away.
  created.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  created.webContents.on('will-navigate', (event) => event.preventDefault());
  created.on('closed', () => {
    if (mainWindow === created) mainWindow = undefined;
  });
  created.loadFile(placeholderPage).catch((error: unknown) => log.error('window page did not load', { reason: errorMessage(error) }));
  return created;
}

function showWindow(log: Logger): void {
  mainWindow ??= createWindow(log);
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

function start(): void {
  const dir = berthHome();
  const log = fileLogger(logFile(dir));
  const api = createNodeApi(process.env, { dir, log });
  log.info('app started', { version: app.getVersion(), registries: api.listRegistries().length });
  const keepAlive = api.keepAliveScheduler();
  keepAlive.start();
  // Timers do not run while the machine sleeps: on wake, whatever fell due meanwhile runs at once.
  powerMonitor.on('resume', () => keepAlive.nudge());
  app.on('before-quit', () => void keepAlive.stop());

  app.on('second-instance', () => showWindow(log));
  // macOS: a click on the dock icon reopens the window.
  app.on('activate', () => showWindow(log));
  showWindow(log);
}

function failToStart(error: unknown): void {
  dialog.showErrorBox('Berth could not start', errorMessage(error));
  app.quit();
}

if (!app.requestSingleInstanceLock()) {
  // Berth already runs; that instance gets 'second-instance' and shows its window.
  app.quit();
} else {
  // Placeholder until the tray exists: closing the window ends Berth (except on macOS, where apps stay in the dock).
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app
    .whenReady()
    .then(start)
    .catch(failToStart);
}
