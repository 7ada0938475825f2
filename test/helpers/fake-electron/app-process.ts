import type { AppCommand } from '../desktop-app.js';
import { app, dialog, electron, FakeEvent, ipcMain, powerMonitor, session, type FakeMenuItem, type FakeTray } from './electron.js';

/**
 * The child process that runs the built app on the fake Electron (started with `--import register.js`). The test drives
 * it like a person and a desktop would, over the IPC channel: tray clicks, window closes, calls from the page, quit.
 */

const fake = electron;
const userData = process.env.FAKE_ELECTRON_USER_DATA as string;
fake.reset({
  userData,
  packaged: process.env.FAKE_ELECTRON_PACKAGED === '1',
  notificationsFail: process.env.FAKE_ELECTRON_NOTIFICATIONS_FAIL === '1',
  openExternalFails: process.env.FAKE_ELECTRON_OPEN_EXTERNAL_FAILS === '1',
  loginItemsRefused: process.env.FAKE_ELECTRON_LOGIN_ITEMS_REFUSED === '1',
});
// Answers to message boxes the app shows while it starts, before any command could give them.
fake.state.dialogAnswers = JSON.parse(process.env.FAKE_ELECTRON_DIALOG_ANSWERS ?? '{}') as Record<string, string>;

/**
 * What Electron does with an error nobody caught in the main process: its own 'uncaughtException' listener shows "A
 * JavaScript error occurred in the main process" unless the app listens too; an unhandled rejection without a listener
 * becomes such an error (Node's default). Every one is in the journal, so a test sees those the app only logged.
 */
process.on('uncaughtException', (error) => {
  fake.state.journal.push(`uncaught exception: ${String(error)}`);
  if (process.listenerCount('uncaughtException') === 1) dialog.showErrorBox('A JavaScript error occurred in the main process', String(error));
});
process.on('unhandledRejection', (reason) => {
  fake.state.journal.push(`unhandled rejection: ${String(reason)}`);
  if (process.listenerCount('unhandledRejection') === 1) dialog.showErrorBox('A JavaScript error occurred in the main process', `Uncaught (in promise) ${String(reason)}`);
});
// A packaged app's resources folder: app-update.yml when the build named an update server, package-type for a deb.
if (process.env.FAKE_ELECTRON_RESOURCES) Object.defineProperty(process, 'resourcesPath', { value: process.env.FAKE_ELECTRON_RESOURCES });
// The app's code as it runs on another system: every `process.platform` branch in it takes that system's way.
if (process.env.FAKE_ELECTRON_PLATFORM) Object.defineProperty(process, 'platform', { value: process.env.FAKE_ELECTRON_PLATFORM });

function checkedLabels(items: FakeMenuItem[]): string[] {
  return items.flatMap((item) => [...(item.checked ? [item.label ?? ''] : []), ...checkedLabels(item.submenu ?? [])]);
}

function snapshot() {
  const { state } = fake;
  return {
    ready: state.ready,
    quit: state.quit,
    journal: state.journal,
    windows: state.windows.map((window) => ({ visible: window.isVisible(), minimized: window.isMinimized(), url: window.webContents.url, devTools: window.options.webPreferences?.devTools, bounds: window.getBounds() })),
    trays: state.trays.map((tray) => ({ tooltip: tray.tooltip, menu: tray.menu.map((item) => item.label ?? item.role ?? item.type ?? ''), checked: checkedLabels(tray.menu) })),
    dialogs: state.dialogs,
    applicationMenu: state.applicationMenu,
    crashReporter: state.crashReporter,
    notifications: state.notifications.map((notification) => notification.options),
    appUserModelId: state.appUserModelId,
    loginItems: state.loginItems,
    netRequests: state.netRequests,
  };
}

async function run(command: AppCommand): Promise<unknown> {
  const { state } = fake;
  switch (command.type) {
    case 'snapshot':
      return snapshot();
    case 'tray-click':
      (state.trays[0] as FakeTray).emit('click');
      return null;
    case 'tray-menu-open':
      (state.trays[0] as FakeTray).openMenu();
      return null;
    case 'tray-menu':
      (state.trays[0] as FakeTray).clickMenu(command.label, command.under);
      return null;
    case 'answer-dialogs':
      state.dialogAnswers = { ...state.dialogAnswers, ...command.answers };
      return null;
    case 'move-window': {
      const window = state.windows[0];
      if (!window) throw new Error('no window to move');
      window.bounds = command.bounds;
      window.emit('moved', new FakeEvent());
      return null;
    }
    case 'navigate-in-page': {
      // What the page's `location.replace('#…')` makes Electron report: an in-page navigation of the main frame.
      const contents = state.windows[0]?.webContents;
      if (!contents) throw new Error('no window to navigate in');
      contents.url = `${contents.url.split('#')[0]}${command.hash}`;
      contents.emit('did-navigate-in-page', new FakeEvent(), contents.url, true, 0, 0);
      return null;
    }
    case 'close-window':
      state.windows[0]?.close();
      return null;
    case 'invoke': {
      const window = state.windows[0];
      if (!window) throw new Error('no window to call from');
      const caller = command.from === 'another-webcontents' ? { id: window.webContents.id + 1000 } : command.from === 'another-page' ? { url: 'https://harbor.example.org/harbor/projects' } : {};
      return ipcMain.invoke(`berth:${command.method}`, window, command.payload, caller);
    }
    case 'quit':
      app.quit();
      return null;
    case 'resume':
      powerMonitor.emit('resume');
      return null;
    case 'permission': {
      return new Promise((resolve) => session.defaultSession.permissionRequest?.(null, command.permission, resolve));
    }
    case 'page-crash': {
      const contents = state.windows[0]?.webContents;
      app.emit('render-process-gone', new FakeEvent(), contents, { reason: 'crashed', exitCode: 139 });
      return null;
    }
    case 'main-throws':
      // Outside any caller, as a failing timer or event handler of the main process would.
      setImmediate(() => {
        throw new Error(command.message);
      });
      return null;
  }
}

process.on('message', (message: { id: number; command: AppCommand }) => {
  run(message.command).then(
    (value) => process.send?.({ id: message.id, ok: true, value }),
    (error: unknown) => process.send?.({ id: message.id, ok: false, error: String(error) }),
  );
});

// Electron's process ends after `quit`; the fake's does too, once the journal has reached the test.
app.on('quit', () => {
  process.send?.({ id: 0, ok: true, value: snapshot() }, () => process.exit(0));
});

await import(process.env.FAKE_ELECTRON_MAIN as string);
