import type { AppCommand } from '../desktop-app.js';
import { app, electron, FakeEvent, ipcMain, powerMonitor, session, type FakeTray } from './electron.js';

/**
 * The child process that runs the built app on the fake Electron (started with `--import register.js`). The test drives
 * it like a person and a desktop would, over the IPC channel: tray clicks, window closes, calls from the page, quit.
 */

const fake = electron;
const userData = process.env.FAKE_ELECTRON_USER_DATA as string;
fake.reset({ userData, packaged: process.env.FAKE_ELECTRON_PACKAGED === '1', notificationsFail: process.env.FAKE_ELECTRON_NOTIFICATIONS_FAIL === '1', openExternalFails: process.env.FAKE_ELECTRON_OPEN_EXTERNAL_FAILS === '1' });
// A packaged app's resources folder: app-update.yml when the build named an update server, package-type for a deb.
if (process.env.FAKE_ELECTRON_RESOURCES) Object.defineProperty(process, 'resourcesPath', { value: process.env.FAKE_ELECTRON_RESOURCES });
// The app's code as it runs on another system: every `process.platform` branch in it takes that system's way.
if (process.env.FAKE_ELECTRON_PLATFORM) Object.defineProperty(process, 'platform', { value: process.env.FAKE_ELECTRON_PLATFORM });

function snapshot() {
  const { state } = fake;
  return {
    ready: state.ready,
    quit: state.quit,
    journal: state.journal,
    windows: state.windows.map((window) => ({ visible: window.isVisible(), minimized: window.isMinimized(), url: window.webContents.url, devTools: window.options.webPreferences?.devTools })),
    trays: state.trays.map((tray) => ({ tooltip: tray.tooltip, menu: tray.menu.map((item) => item.label ?? item.role ?? item.type ?? '') })),
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
    case 'tray-menu':
      (state.trays[0] as FakeTray).clickMenu(command.label);
      return null;
    case 'close-window':
      state.windows[0]?.close();
      return null;
    case 'invoke': {
      const window = state.windows[0];
      if (!window) throw new Error('no window to call from');
      return ipcMain.invoke(`berth:${command.method}`, window, command.payload);
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
