import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { statusNotifierWatcher } from '../../main/app/tray-host.js';
import { openStores } from '../../main/settings/node-stores.js';
import { startApp, type AppOptions, type AppUnderTest } from '../helpers/desktop-app.js';
import { addArgs, berthBin, cliLogin, killedRegenerate, projectRoot, run, storedSecret, storedStatus, waitFor, withHarbors, workspace, type Workspace } from '../helpers/berth.js';
import { busWithoutKeyring, holdBusName, type SessionBus } from '../helpers/session-bus.js';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';

/**
 * The app's own code (dist/main/app/main.js) on a strict fake Electron, with the real core, a real session bus to find
 * (or not find) a tray host on, the real keychain and, for the quit test, the real identity provider and Harbor double.
 */

function logOf(ws: Workspace): string {
  const path = join(ws.berthHome, 'berth.log');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Every lock file in Berth's folder and docker's, relative to its folder. */
function lockFiles(ws: Workspace): string[] {
  return [ws.berthHome, ws.dockerConfig].flatMap((dir) => (existsSync(dir) ? (readdirSync(dir, { recursive: true }) as string[]).filter((file) => file.endsWith('.lock')) : []));
}

/** How to start the app; `env` adds to the workspace's environment. */
type LaunchOptions = Omit<AppOptions, 'env' | 'userData'> & { env?: NodeJS.ProcessEnv };

function appFor(ws: Workspace, bus: SessionBus, options: LaunchOptions = {}): AppUnderTest {
  const { env, ...rest } = options;
  return startApp({ env: { ...ws.env, DBUS_SESSION_BUS_ADDRESS: bus.address, ...env }, userData: ws.berthHome, ...rest });
}

describe('the desktop app on real desktops', { skip: unless('dbus', 'keyring') }, () => {
  let bus: SessionBus;
  const running: AppUnderTest[] = [];
  before(async () => {
    bus = await busWithoutKeyring();
  });
  after(async () => {
    await Promise.all(running.map((app) => app.stop()));
    await bus?.stop();
  });
  const launch = (ws: Workspace, options: LaunchOptions = {}) => {
    const app = appFor(ws, bus, options);
    running.push(app);
    return app;
  };

  test('GNOME without a tray host: Berth is a window app (never invisible), says so once, and closing minimises or quits as chosen', async () => {
    const ws = workspace();
    const app = launch(ws, { args: ['--hidden'] });
    let seen = await app.until('the window is shown and the missing tray explained', (s) => s.windows.some((w) => w.visible) && s.dialogs.length > 0);
    assert.equal(seen.trays.length, 0, 'no tray icon nobody would see');
    assert.match(seen.dialogs[0]?.message ?? '', /shows no tray icons/);
    assert.match(seen.dialogs[0]?.detail ?? '', /Closing the window minimises it.*Quit in the window ends Berth/s);
    assert.match(logOf(ws), /started at login on a desktop without a tray: the window opens anyway \(--hidden ignored\)/);

    const settings = (await app.command({ type: 'invoke', method: 'settings' })) as { ok: boolean; value: { trayShown: boolean; closeWithoutTray: string } };
    assert.equal(settings.value.trayShown, false);
    assert.equal(settings.value.closeWithoutTray, 'minimize');
    // The person puts the window elsewhere and the page shows another registry.
    const placed = { x: 300, y: 200, width: 1000, height: 720 };
    await app.command({ type: 'move-window', bounds: placed });
    await app.command({ type: 'navigate-in-page', hash: '#registry=team' });

    await app.command({ type: 'close-window' });
    seen = await app.snapshot();
    assert.equal(seen.quit, false, 'closing the window did not end Berth');
    assert.equal(seen.windows[0]?.minimized, true, 'it minimised, so it stays in the taskbar');

    const changed = (await app.command({ type: 'invoke', method: 'updateSettings', payload: { closeWithoutTray: 'quit', notifications: false } })) as { ok: boolean; value: { closeWithoutTray: string } };
    assert.equal(changed.value.closeWithoutTray, 'quit');
    await app.command({ type: 'close-window' });
    const ended = await app.exited;
    assert.equal(ended.code, 0);
    assert.ok(ended.last?.quit, 'closing the window quit Berth');

    // The choice lives in the app's own preferences, never in the settings the CLI shares.
    const preferences = JSON.parse(readFileSync(join(ws.berthHome, 'app-preferences.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(
      [preferences.closeWithoutTray, preferences.trayMissingExplained, preferences.notifications, preferences.windowBounds, preferences.lastRegistry],
      ['quit', true, false, placed, 'team'],
    );
    const shared = existsSync(join(ws.berthHome, 'settings.json')) ? readFileSync(join(ws.berthHome, 'settings.json'), 'utf8') : '';
    for (const field of Object.keys(preferences).filter((key) => key !== '__internal__')) assert.doesNotMatch(shared, new RegExp(`"${field}"`), `${field} is the app's alone`);

    // The next start reads every one of them back.
    const again = launch(ws);
    seen = await again.until('the window is shown again', (s) => s.windows.some((w) => w.visible));
    assert.equal(seen.dialogs.length, 0, 'the missing tray is explained once, not at every start');
    assert.deepEqual(seen.windows[0]?.bounds, placed, 'where the person put it');
    assert.match(seen.windows[0]?.url ?? '', /#registry=team$/, 'at the registry it showed last');
    const reread = (await again.command({ type: 'invoke', method: 'settings' })) as { value: { closeWithoutTray: string; notifications: boolean } };
    assert.deepEqual([reread.value.closeWithoutTray, reread.value.notifications], ['quit', false]);
    await again.command({ type: 'invoke', method: 'quit' });
    assert.equal((await again.exited).code, 0, 'the Quit button in the window ends Berth');
  });

  test('a desktop with a tray host: the icon, no window at login, a click opens it, closing hides it, Quit Berth quits', async () => {
    const host = await holdBusName(bus.address, statusNotifierWatcher);
    try {
      const ws = workspace();
      const app = launch(ws, { args: ['--hidden'] });
      let seen = await app.until('the tray icon is up', (s) => s.trays.length === 1 && s.trays[0]?.menu.includes('Quit Berth') === true);
      assert.equal(seen.windows.length, 0, 'started at login: the tray only');
      await app.command({ type: 'tray-click' });
      seen = await app.until('a click shows the window', (s) => s.windows.some((w) => w.visible));
      await app.command({ type: 'close-window' });
      seen = await app.snapshot();
      assert.equal(seen.windows[0]?.visible, false);
      assert.equal(seen.quit, false, 'closing the window leaves Berth in the tray');
      await app.command({ type: 'tray-menu', label: 'Quit Berth' });
      assert.equal((await app.exited).code, 0);
    } finally {
      host.release();
    }
  });

  test("the app's own IPC registration answers Berth's window only: another webContents, or Berth's window on another page, is refused and logged", async () => {
    const ws = workspace();
    const app = launch(ws);
    await app.until('the window is up', (s) => s.windows.some((w) => w.visible));
    const own = (await app.command({ type: 'invoke', method: 'listRegistries' })) as { ok: boolean };
    assert.equal(own.ok, true, 'the page Berth showed is answered');
    for (const from of ['another-webcontents', 'another-page'] as const) {
      const reply = (await app.command({ type: 'invoke', method: 'listRegistries', from })) as { ok: boolean; error?: string };
      assert.deepEqual(reply, { ok: false, error: 'Berth answers only its own window.' }, from);
    }
    assert.equal((logOf(ws).match(/refused an IPC call from outside Berth's window/g) ?? []).length, 2);
    await app.command({ type: 'quit' });
    assert.equal((await app.exited).code, 0);
  });

  test("start-up follows Electron's rules in order: privileged scheme and the single-instance lock before ready, then the page's protocol, the window and the tray", async () => {
    const host = await holdBusName(bus.address, statusNotifierWatcher);
    try {
      const app = launch(workspace());
      const seen = await app.until('the tray and the window are up', (s) => s.trays.length === 1 && s.windows.some((w) => w.visible));
      const at = (entry: string) => {
        const index = seen.journal.indexOf(entry);
        assert.ok(index >= 0, `"${entry}" in ${seen.journal.join(' | ')}`);
        return index;
      };
      assert.ok(at('schemes privileged: app') < at('single-instance lock taken'), 'the scheme is registered at load');
      assert.ok(at('single-instance lock taken') < at('ready'), 'a second instance would stop before any start-up work');
      assert.ok(at('ready') < at('protocol.handle: app'));
      assert.ok(at('protocol.handle: app') < at('window created'), "the page's protocol is served before the window loads it");
      assert.ok(at('ready') < at('tray created'));
      await app.command({ type: 'quit' });
      const ended = await app.exited;
      const journal = ended.last?.journal ?? [];
      assert.deepEqual(
        journal.slice(journal.indexOf('app.quit called')),
        ['app.quit called', 'quit prevented by before-quit', 'app.quit called', 'window closed', 'quit'],
        'quit waits for the keep-alive to stop, then closes the window and ends',
      );
    } finally {
      host.release();
    }
  });

  test("one Berth per user: a second launch shows the first one's window (from the tray, or hidden again) and quits", async () => {
    const host = await holdBusName(bus.address, statusNotifierWatcher);
    try {
      const ws = workspace();
      const first = launch(ws, { args: ['--hidden'] });
      await first.until('the tray is up', (s) => s.trays.length === 1);
      assert.equal((await first.snapshot()).windows.length, 0);

      const second = launch(ws);
      const ended = await second.exited;
      assert.equal(ended.code, 0, 'the second launch quits');
      assert.ok(ended.last?.journal.includes('single-instance lock refused'));
      assert.deepEqual([ended.last?.ready, ended.last?.windows.length, ended.last?.trays.length], [false, 0, 0], 'and does nothing else');
      let seen = await first.until("the first shows its window", (s) => s.windows.some((w) => w.visible));
      assert.ok(seen.journal.includes('second instance: '), seen.journal.join(' | '));

      await first.command({ type: 'close-window' });
      assert.equal((await first.snapshot()).windows[0]?.visible, false, 'hidden to the tray');
      const third = launch(ws, { args: ['--hidden'] });
      assert.equal((await third.exited).code, 0);
      seen = await first.until('the window is back', (s) => s.windows.some((w) => w.visible));
      assert.equal(seen.windows.length, 1, 'the same window, not another');
      await first.command({ type: 'quit' });
      assert.equal((await first.exited).code, 0);
      // Quitting released the lock: the next launch is the one Berth.
      const next = launch(ws);
      await next.until('the next launch starts', (s) => s.windows.some((w) => w.visible));
      await next.command({ type: 'quit' });
      await next.exited;
    } finally {
      host.release();
    }
  });

  test('the window opens at the registry it showed last: one the tray opened it at, or one the page moved to', async () => {
    const host = await holdBusName(bus.address, statusNotifierWatcher);
    try {
      const ws = workspace();
      withHarbors(ws, 'work', 'team');
      const app = launch(ws, { args: ['--hidden'] });
      await app.until('the tray lists both', (s) => s.trays[0]?.menu.filter((label) => label.includes('.example.org')).length === 2);
      // The first open of the window is at a registry: that is the last one shown.
      await app.command({ type: 'tray-menu', label: 'Check image…', under: 'work.example.org' });
      await app.until('the window opens at work', (s) => s.windows.some((w) => w.visible && /#registry=work&intent=check$/.test(w.url)));
      await app.command({ type: 'quit' });
      await app.exited;
      let again = launch(ws);
      let seen = await again.until('the window is shown', (s) => s.windows.some((w) => w.visible));
      assert.match(seen.windows[0]?.url ?? '', /#registry=work$/, 'at work, without the check it was asked for then');

      await again.command({ type: 'navigate-in-page', hash: '#registry=team' });
      await again.command({ type: 'quit' });
      await again.exited;
      again = launch(ws);
      seen = await again.until('the window is shown', (s) => s.windows.some((w) => w.visible));
      assert.match(seen.windows[0]?.url ?? '', /#registry=team$/);
      await again.command({ type: 'quit' });
      await again.exited;
    } finally {
      host.release();
    }
  });

  test('a preferences file Berth cannot read: it starts on the defaults, says which file and why, and leaves the file alone', async () => {
    const ws = workspace();
    mkdirSync(ws.berthHome, { recursive: true });
    const path = join(ws.berthHome, 'app-preferences.json');
    const broken = '{"closeWithoutTray": "quit", "windowBounds": ';
    writeFileSync(path, broken);
    const app = launch(ws);
    const seen = await app.until('the problem is said', (s) => s.dialogs.some((d) => d.message === 'Berth could not read its app preferences.'));
    const detail = seen.dialogs.find((d) => d.message === 'Berth could not read its app preferences.')?.detail ?? '';
    assert.ok(detail.includes(`in ${path} (`), detail);
    assert.match(detail, /not valid JSON\)\. It runs with the default preferences and leaves the file as it is/);
    assert.ok(seen.windows.some((w) => w.visible), 'Berth runs');
    await app.command({ type: 'invoke', method: 'updateSettings', payload: { closeWithoutTray: 'quit' } });
    await app.command({ type: 'quit' });
    await app.exited;
    assert.equal(readFileSync(path, 'utf8'), broken, 'the file is as the person left it');
    assert.match(logOf(ws), /WARN app preferences unreadable; using defaults and leaving the file alone file=/);
  });

  test('an update server an earlier version took from a profile without asking is asked about once at start: used only if the person agrees', async () => {
    const server = 'https://updates.example.org/berth';
    const earlier = (ws: Workspace) => {
      mkdirSync(ws.berthHome, { recursive: true });
      writeFileSync(join(ws.berthHome, 'app-preferences.json'), JSON.stringify({ closeWithoutTray: 'quit', trayMissingExplained: true, updateUrl: server }));
    };
    const preferencesOf = (ws: Workspace) => JSON.parse(readFileSync(join(ws.berthHome, 'app-preferences.json'), 'utf8')) as Record<string, unknown>;
    const question = `Take Berth's updates from ${server}?`;
    const resources = (ws: Workspace) => {
      const folder = join(ws.home, 'appimage-resources');
      mkdirSync(folder, { recursive: true });
      return { packaged: true, resources: folder, env: { APPIMAGE: join(ws.home, 'Berth-0.2.0.AppImage') } };
    };

    const declined = workspace();
    earlier(declined);
    const first = launch(declined, resources(declined));
    let seen = await first.until('the person is asked', (s) => s.dialogs.some((d) => d.message === question));
    assert.match(seen.dialogs.find((d) => d.message === question)?.detail ?? '', /An earlier version of Berth took this update server from a registry profile without asking you/);
    await first.until('the answer is kept', () => preferencesOf(declined).updateServer === null);
    assert.equal(preferencesOf(declined).closeWithoutTray, 'quit', 'the rest of the earlier file is kept');
    await first.command({ type: 'quit' });
    assert.ok(!(await first.exited).last?.journal.some((entry) => entry.startsWith('updater feed')), 'the default answer, "Not now", uses nothing');
    const again = launch(declined, resources(declined));
    await again.until('the window is shown', (s) => s.windows.some((w) => w.visible));
    await again.command({ type: 'quit' });
    assert.ok(!(await again.exited).last?.dialogs.some((d) => d.message === question), 'asked once');

    const agreed = workspace();
    earlier(agreed);
    const asked = launch(agreed, { ...resources(agreed), dialogAnswers: { "Take Berth's updates from": 'Use this server' } });
    await asked.until('the answer is kept', () => (preferencesOf(agreed).updateServer as { confirmed?: boolean } | null)?.confirmed === true);
    assert.deepEqual(preferencesOf(agreed).updateServer, { url: server, registry: null, confirmed: true });
    await asked.command({ type: 'quit' });
    await asked.exited;
    const next = launch(agreed, { ...resources(agreed), updateOffered: '0.3.0' });
    seen = await next.until('the update is ready', (s) => s.notifications.some((n) => n.title === 'Berth 0.3.0 is ready'));
    assert.ok(seen.journal.includes(`updater feed: generic ${server}`));
    await next.command({ type: 'quit' });
    await next.exited;
  });

  test('a packaged build: no DevTools, no Reload menu, permission prompts refused, crash dumps kept here, never uploaded', async () => {
    const ws = workspace();
    const app = launch(ws, { packaged: true });
    const seen = await app.until('the window is shown', (s) => s.windows.some((w) => w.visible));
    assert.equal(seen.windows[0]?.devTools, false);
    assert.equal(seen.applicationMenu, null, 'Linux and Windows: no application menu, so no Reload or Toggle DevTools shortcuts');
    assert.deepEqual(seen.crashReporter, { uploadToServer: false, compress: true });
    assert.equal(await app.command({ type: 'permission', permission: 'media' }), false);
    assert.equal(await app.command({ type: 'permission', permission: 'notifications' }), false);
    await app.command({ type: 'quit' });
    await app.exited;

    const developer = launch(workspace());
    const unpackaged = await developer.until('the window is shown', (s) => s.windows.some((w) => w.visible));
    assert.equal(unpackaged.windows[0]?.devTools, true, '`npm start` keeps DevTools');
    assert.equal(unpackaged.applicationMenu, 'default');
    await developer.command({ type: 'quit' });
    await developer.exited;
  });

  test('Windows: toasts and the Start menu share the app id, a left click on the tray opens the window, and Start at login turns off again', async () => {
    const ws = workspace();
    const app = launch(ws, { platform: 'win32', packaged: true });
    let seen = await app.until('the tray and the window are up', (s) => s.trays.length === 1 && s.windows.some((w) => w.visible));
    const appId = /^appId: (.+)$/m.exec(readFileSync(join(projectRoot, 'electron-builder.yml'), 'utf8'))?.[1];
    assert.equal(seen.appUserModelId, appId, 'the same id as the installer gives the Start-menu shortcut');
    await app.command({ type: 'close-window' });
    seen = await app.snapshot();
    assert.equal(seen.windows[0]?.visible, false, 'closing hides the window to the tray');
    await app.command({ type: 'tray-click' });
    seen = await app.until('a left click shows the window', (s) => s.windows.some((w) => w.visible));

    await app.command({ type: 'tray-menu', label: 'Start at login' });
    seen = await app.snapshot();
    assert.deepEqual(seen.loginItems, [{ openAtLogin: true, args: ['--hidden'] }]);
    await app.command({ type: 'tray-menu', label: 'Start at login' });
    seen = await app.snapshot();
    assert.deepEqual(seen.loginItems, [{ openAtLogin: false, args: ['--hidden'] }], 'the second click turned it off');
    await app.command({ type: 'quit' });
    assert.equal((await app.exited).code, 0);
  });

  test('macOS: the app, Edit and Window menus only, and a notification the system refuses is in the log', async () => {
    const ws = workspace();
    withHarbors(ws, 'work');
    // Signed out at the provider: Berth tells the person at start-up (no pass runs: it holds no session).
    openStores(ws.berthHome).status.put('work', { state: 'needs-sign-in', username: 'dana' });
    const app = launch(ws, { platform: 'darwin', packaged: true, notificationsFail: true });
    const seen = await app.until('the notification was tried', (s) => s.journal.some((entry) => entry.startsWith('notification failed: work.example.org: sign in again')));
    assert.deepEqual(
      (seen.applicationMenu as { role?: string }[]).map((item) => item.role),
      ['appMenu', 'editMenu', 'windowMenu'],
      'no View menu: no Reload, no DevTools',
    );
    await app.until('the refusal is logged', () => /WARN notification not shown registry="work" kind="needs-sign-in" reason="Notifications are not allowed/.test(logOf(ws)));
    await app.command({ type: 'quit' });
    await app.exited;

    // With notifications turned off in Settings, none is even tried.
    const quiet = workspace();
    withHarbors(quiet, 'work');
    openStores(quiet.berthHome).status.put('work', { state: 'needs-sign-in', username: 'dana' });
    const first = launch(quiet);
    await first.until('the window is shown', (s) => s.windows.some((w) => w.visible));
    await first.command({ type: 'invoke', method: 'updateSettings', payload: { notifications: false } });
    await first.command({ type: 'quit' });
    const firstRun = await first.exited;
    assert.equal(firstRun.last?.notifications.length, 1, 'the first start notified');
    rmSync(join(quiet.berthHome, 'notices.json'));
    const second = launch(quiet);
    await second.until('the window is shown', (s) => s.windows.some((w) => w.visible));
    await second.command({ type: 'quit' });
    assert.equal((await second.exited).last?.notifications.length, 0, 'no notification with notifications off');
  });

  test('macOS, unsigned: a login item the system ignores is said, logged, and the tray toggle shows it off', async () => {
    const ws = workspace();
    const app = launch(ws, { platform: 'darwin', packaged: true, loginItemsRefused: true, args: ['--hidden'] });
    await app.until('the tray is up', (s) => s.trays.length === 1);
    await app.command({ type: 'tray-menu', label: 'Start at login' });
    const seen = await app.until('the person is told', (s) => s.dialogs.some((d) => d.message === 'macOS did not add Berth to the apps that start at login.'));
    assert.match(seen.dialogs.at(-1)?.detail ?? '', /not signed, and macOS ignores login items of unsigned apps without saying so\. Add Berth yourself in System Settings → General → Login Items\./);
    assert.ok(seen.journal.includes('setLoginItemSettings openAtLogin=true'), 'it was asked');
    assert.deepEqual(seen.loginItems, [], 'and nothing changed');
    assert.equal(seen.trays[0]?.checked.includes('Start at login'), false, 'the toggle shows the real state');
    assert.match(logOf(ws), /WARN the login item did not change wanted=true platform="darwin"/);
    await app.command({ type: 'tray-menu', label: 'Open Berth' });
    await app.until('the window is shown', (s) => s.windows.some((w) => w.visible));
    const settings = (await app.command({ type: 'invoke', method: 'settings' })) as { value: { startAtLogin: boolean } };
    assert.equal(settings.value.startAtLogin, false, "the window's setting too");
    await app.command({ type: 'quit' });
    await app.exited;

    // Signed, the same click takes, and nobody is bothered.
    const signed = launch(workspace(), { platform: 'darwin', packaged: true, args: ['--hidden'] });
    await signed.until('the tray is up', (s) => s.trays.length === 1);
    await signed.command({ type: 'tray-menu', label: 'Start at login' });
    const taken = await signed.until('the toggle is on', (s) => s.trays[0]?.checked.includes('Start at login') === true);
    assert.deepEqual(taken.dialogs, []);
    await signed.command({ type: 'quit' });
    await signed.exited;
  });

  test('updates: an AppImage without a server says so, and picking a profile that names one changes nothing; a deb leaves them to apt unless asked', async () => {
    const host = await holdBusName(bus.address, statusNotifierWatcher);
    try {
      const ws = workspace();
      const resources = join(ws.home, 'appimage-resources');
      mkdirSync(resources, { recursive: true });
      const appImage = { args: ['--hidden'], packaged: true, resources, env: { APPIMAGE: join(ws.home, 'Berth-0.2.0.AppImage') } };
      const first = launch(ws, appImage);
      await first.until('the tray is up', (s) => s.trays.length === 1);
      await first.command({ type: 'tray-menu', label: 'Check for updates…' });
      let seen = await first.until('the answer is shown', (s) => s.dialogs.some((d) => d.message === 'Updates'));
      assert.match(seen.dialogs.find((d) => d.message === 'Updates')?.detail ?? '', /names no update server; an administrator can name one in a registry profile \("updateUrl"\)/);
      assert.ok(!seen.journal.some((entry) => entry.startsWith('updater')), 'nothing to ask without a server');
      await first.command({ type: 'tray-click' });
      await first.until('the window is shown', (s) => s.windows.some((w) => w.visible));
      // Picking a profile file is no consent to its update server: nothing changes until a registry is added from it.
      const profile = JSON.stringify({ clientId: 'berth', issuer: 'https://sso.example.org/realms/corp', updateUrl: 'https://updates.example.org/berth' });
      assert.equal(((await first.command({ type: 'invoke', method: 'readProfile', payload: profile })) as { ok: boolean }).ok, true);
      const after = (await first.command({ type: 'invoke', method: 'checkForUpdates' })) as { value: string };
      assert.match(after.value, /names no update server/);
      await first.command({ type: 'quit' });
      await first.exited;
      const second = launch(ws, { ...appImage, updateOffered: '0.3.0' });
      await second.until('the tray is up', (s) => s.trays.length === 1);
      await second.command({ type: 'quit' });
      assert.ok(!(await second.exited).last?.journal.some((entry) => entry.startsWith('updater')), 'no update server after a restart either');

      const deb = workspace();
      const debResources = join(deb.home, 'deb-resources');
      mkdirSync(debResources, { recursive: true });
      writeFileSync(join(debResources, 'package-type'), 'deb\n');
      writeFileSync(join(debResources, 'app-update.yml'), 'provider: generic\nurl: https://updates.example.org/berth\n');
      const installed = launch(deb, { args: ['--hidden'], packaged: true, resources: debResources, updateOffered: '0.3.0' });
      await installed.until('the tray is up', (s) => s.trays.length === 1);
      await installed.command({ type: 'tray-menu', label: 'Check for updates…' });
      seen = await installed.until('the answer is shown', (s) => s.dialogs.some((d) => d.message === 'Updates'));
      assert.match(seen.dialogs.find((d) => d.message === 'Updates')?.detail ?? '', /Installed from a deb package: `sudo apt upgrade`/);
      assert.ok(!seen.journal.some((entry) => entry.startsWith('updater check')), 'a deb does not update itself by default');
      await installed.command({ type: 'tray-click' });
      await installed.until('the window is shown', (s) => s.windows.some((w) => w.visible));
      const settings = (await installed.command({ type: 'invoke', method: 'settings' })) as { value: { autoUpdate: boolean; updatesOtherwise: string | null } };
      assert.deepEqual([settings.value.autoUpdate, settings.value.updatesOtherwise], [false, null]);
      await installed.command({ type: 'invoke', method: 'updateSettings', payload: { autoUpdate: true } });
      const answer = (await installed.command({ type: 'invoke', method: 'checkForUpdates' })) as { value: string };
      assert.equal(answer.value, 'Berth 0.3.0 is downloading; it installs when you quit Berth.', 'asked for, a deb updates itself too');
      await installed.command({ type: 'quit' });
      await installed.exited;
    } finally {
      host.release();
    }
  });

  test('failures in the main process go to the log and a notification, never to an error dialog: a stale tray entry, a browser that will not open, a crashed page, a throwing timer', async () => {
    const host = await holdBusName(bus.address, statusNotifierWatcher);
    try {
      const ws = workspace();
      withHarbors(ws, 'gone', 'idle');
      const hour = 3600_000;
      const at = (ms: number) => new Date(Date.now() + ms).toISOString();
      // Signed in and kept alive an hour ago (the next pass is a day away); "idle" was never signed in.
      openStores(ws.berthHome).status.put('gone', { state: 'valid', username: 'dana', signedInAt: at(-48 * hour), lastKeptAliveAt: at(-hour), nextKeepAliveAt: at(23 * hour), idleDeadline: at(29 * 24 * hour) });
      const app = launch(ws, { args: ['--hidden'], openExternalFails: true });
      await app.until('the tray lists the registries', (s) => s.trays[0]?.menu.some((label) => label.startsWith('gone.example.org — kept alive')) === true);
      await assert.rejects(app.command({ type: 'tray-menu', label: 'Renew now', under: 'idle.example.org' }), /is disabled: nobody can click it/, 'a registry never signed in cannot be renewed');

      await app.command({ type: 'tray-menu', label: 'Open in browser', under: 'gone.example.org' });
      let seen = await app.until('the person is told the browser did not open', (s) => s.notifications.some((n) => n.title === 'Opening a page from the tray failed'));
      assert.match(seen.notifications.find((n) => n.title === 'Opening a page from the tray failed')?.body ?? '', /Failed to open https:\/\/gone\.example\.org/);
      assert.match(logOf(ws), /opening a page from the tray failed .*Failed to open https:\/\/gone\.example\.org/);

      // The person opens the tray menu; meanwhile the CLI removes the registry; then they click "Renew now" on it.
      await app.command({ type: 'tray-menu-open' });
      const removed = await run(process.execPath, [berthBin, 'remove', 'gone'], ws.env);
      assert.equal(removed.code, 0, removed.stderr);
      await app.command({ type: 'tray-menu', label: 'Renew now', under: 'gone.example.org' });
      seen = await app.until('the person is told', (s) => s.notifications.some((n) => n.title === 'Refresh from the tray failed'));
      assert.match(seen.notifications.find((n) => n.title === 'Refresh from the tray failed')?.body ?? '', /No registry named "gone"/);
      assert.match(logOf(ws), /WARN refresh from the tray failed registry="gone" reason="No registry named \\"gone\\"/);
      seen = await app.until('the menu no longer lists it', (s) => !s.trays[0]?.menu.some((label) => label.startsWith('gone.example.org')));

      await app.command({ type: 'tray-click' });
      await app.until('the window is shown', (s) => s.windows.some((w) => w.visible));
      await app.command({ type: 'page-crash' });
      await app.until('the crash is logged', () => /ERROR a page crashed url="app:\/\/berth\/index\.html" reason="crashed" exitCode=139/.test(logOf(ws)));
      await app.command({ type: 'main-throws', message: 'a timer failed' });
      await app.until('the exception is logged', () => /ERROR uncaught exception in the main process reason="a timer failed"/.test(logOf(ws)));
      seen = await app.snapshot();
      assert.equal(seen.quit, false, 'Berth keeps running');
      assert.deepEqual(
        seen.journal.filter((entry) => /^(uncaught exception|unhandled rejection)/.test(entry)),
        ['uncaught exception: Error: a timer failed'],
        'the tray failures were caught where they happened; only the timer threw',
      );
      assert.deepEqual(seen.dialogs, [], 'no "A JavaScript error occurred in the main process" box');
      await app.command({ type: 'quit' });
      await app.exited;
    } finally {
      host.release();
    }
  });
});

describe("a registry profile's update server", { skip: unless('dbus', 'keyring', 'docker-registry', 'openssl') }, () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig?.stop());

  test('is used only for a registry added from the profile, and only after the person agreed to the server it names', async () => {
    const ws = workspace();
    const resources = join(ws.home, 'appimage-resources');
    mkdirSync(resources, { recursive: true });
    const server = 'https://updates.example.org/berth';
    // The keyring's session bus has no tray host: the window is the app, and the page's calls come from it.
    const appImage = { env: { ...ws.env, APPIMAGE: join(ws.home, 'Berth-0.2.0.AppImage') }, userData: ws.berthHome, packaged: true, resources };
    const first = startApp(appImage);
    try {
      await first.until('the window is shown', (s) => s.windows.some((w) => w.visible));
      const invoke = async (method: string, payload?: unknown) => (await first.command({ type: 'invoke', method, payload })) as { ok: boolean; value?: unknown; error?: string };
      const profile = { issuer: rig.idp.issuer, clientId: rig.berthClientId, updateUrl: server };
      assert.equal((await invoke('readProfile', JSON.stringify(profile))).ok, true);
      const fromProfile = (name: string) => ({ name, url: rig.harbor.url, method: 'oidc', issuer: rig.idp.issuer, clientId: rig.berthClientId, updateUrl: server });

      const stranger = await invoke('addRegistry', { ...fromProfile('work'), updateUrl: 'https://evil.example.org/berth' });
      assert.equal(stranger.ok, false);
      assert.match(stranger.error ?? '', /an update server that no profile it read named/);

      // The person says no (the default button): the registry is added, the server is not taken.
      await first.command({ type: 'answer-dialogs', answers: { "Take Berth's updates from": 'Not now' } });
      assert.equal((await invoke('addRegistry', fromProfile('work'))).ok, true);
      let seen = await first.snapshot();
      const asked = seen.dialogs.find((d) => d.message === `Take Berth's updates from ${server}?`);
      assert.match(asked?.detail ?? '', /The profile you added work from names this update server\. .*Agree only if your administrator told you to use it\./);
      assert.deepEqual(asked?.buttons, ['Use this server', 'Not now']);
      assert.match(((await invoke('checkForUpdates')) as { value: string }).value, /names no update server/);

      assert.equal((await invoke('removeRegistry', 'work')).ok, true);
      await first.command({ type: 'answer-dialogs', answers: { "Take Berth's updates from": 'Use this server' } });
      assert.equal((await invoke('addRegistry', fromProfile('team'))).ok, true);
      const preferences = JSON.parse(readFileSync(join(ws.berthHome, 'app-preferences.json'), 'utf8')) as { updateServer: unknown };
      assert.deepEqual(preferences.updateServer, { url: server, registry: 'team', confirmed: true });
      assert.match(logOf(ws), /INFO updates come from the server a profile named url="https:\/\/updates\.example\.org\/berth" registry="team"/);
      await first.command({ type: 'quit' });
      await first.exited;

      const second = startApp({ ...appImage, updateOffered: '0.3.0' });
      try {
        seen = await second.until('the new version is ready', (s) => s.notifications.some((n) => n.title === 'Berth 0.3.0 is ready'));
        assert.ok(seen.journal.includes(`updater feed: generic ${server}`), seen.journal.join(' | '));
        assert.ok(seen.journal.includes('updater check (autoDownload=true, installOnQuit=true)'), 'checked at start, downloaded by itself, installed at quit');
        assert.equal(seen.notifications.find((n) => n.title === 'Berth 0.3.0 is ready')?.body, 'It installs when you quit Berth.');
        const answer = (await second.command({ type: 'invoke', method: 'checkForUpdates' })) as { value: string };
        assert.equal(answer.value, 'Berth 0.3.0 is downloading; it installs when you quit Berth.');
        await second.command({ type: 'quit' });
        await second.exited;
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
  });
});

describe('quitting the app during a keep-alive pass', { skip: unless('dbus', 'keyring', 'docker-registry', 'openssl') }, () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ provider: { revokeRefreshToken: true } });
    await Promise.all([rig.webLogin('quinn'), rig.webLogin('ursula')]);
  });
  after(() => rig?.stop());

  test('waits until the refresh token the provider just rotated is in the keychain, stops the rest of the pass, then quits: the session survives', async () => {
    const ws = workspace();
    const name = 'work';
    assert.equal((await ws.berth(...addArgs(rig, name))).code, 0);
    const login = await cliLogin(ws, name, 'quinn');
    assert.equal(login.code, 0, login.stderr);
    const before = await storedSecret(ws, name, 'refresh-token');
    // The pass is overdue when the app starts: the last one was a day ago.
    const { status } = openStores(ws.berthHome);
    const dayAgo = new Date(Date.now() - 25 * 3600_000).toISOString();
    status.put(name, { ...status.get(name), lastKeptAliveAt: dayAgo, nextKeepAliveAt: new Date(Date.now() - 60_000).toISOString() });

    const hold = rig.idp.holdRefreshes();
    // The session bus with the keyring: the pass needs the refresh token from the keychain.
    const app = startApp({ env: ws.env, userData: ws.berthHome });
    try {
      const reached = await Promise.race([hold.reached.then(() => true), sleep(60_000, false, { ref: false })]);
      assert.ok(reached, 'the overdue pass reached the identity provider within a minute');
      // The provider has rotated the token (the old one is spent) and its answer is on the way: the user quits now.
      assert.equal(await rig.idp.refreshTokenActive(before as string), false);
      assert.ok(lockFiles(ws).includes(join('locks', `${name}.lock`)), 'the pass holds the registry lock');
      await app.command({ type: 'quit' });
      const waiting = await app.snapshot();
      assert.equal(waiting.quit, false, 'the app waits for the pass under way');
      hold.release();
      const ended = await app.exited;
      assert.equal(ended.code, 0);
      assert.deepEqual(lockFiles(ws), [], "no lock left in locks/, beside docker's config.json or anywhere else");
      // The app's requests go through Chromium's network (the system proxy and certificate store).
      assert.ok(ended.last?.netRequests.includes('POST /token'), `the refresh went through net.fetch: ${ended.last?.netRequests.join(', ')}`);
      // The rest of the pass was stopped with the quit: nothing more was asked of Harbor, and stopping is not recorded as a failure.
      assert.ok(!ended.last?.netRequests.includes('GET /service/token'), 'Harbor was not asked after the quit');
      assert.equal(openStores(ws.berthHome).status.get(name).lastKeptAliveAt, dayAgo);
      assert.equal(openStores(ws.berthHome).status.get(name).state, 'valid');
      const after = await storedSecret(ws, name, 'refresh-token');
      assert.notEqual(after, before, 'the rotated refresh token was stored before the app ended');
      assert.equal(await rig.idp.refreshTokenActive(after as string), true, 'and the provider still honours it');
      const refresh = await ws.berth('refresh', name, '--json');
      assert.equal(refresh.code, 0, refresh.stderr);
      assert.equal((JSON.parse(refresh.stdout) as { state: string }[])[0]?.state, 'valid');
    } finally {
      hold.release();
      await app.stop();
    }
  });

  test('at start, the app rolls forward the journal a killed berth regenerate left: the keychain and docker get the secret Harbor has', async () => {
    const ws = workspace();
    const name = 'rolled';
    assert.equal((await ws.berth(...addArgs(rig, name))).code, 0);
    const login = await cliLogin(ws, name, 'ursula');
    assert.equal(login.code, 0, login.stderr);
    const harborHas = await killedRegenerate(ws, rig, name);
    assert.equal(await storedSecret(ws, name, 'pending-cli-secret'), harborHas, 'the journal is open');
    const app = startApp({ env: ws.env, userData: ws.berthHome });
    try {
      await waitFor('the app closed the journal', () => storedStatus(ws, name).pendingSecretSince === undefined, 60_000);
      assert.equal(await storedSecret(ws, name, 'pending-cli-secret'), null);
      assert.equal(await storedSecret(ws, name, 'cli-secret'), harborHas);
      const auths = JSON.parse(readFileSync(join(ws.dockerConfig, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
      assert.equal(Buffer.from(auths.auths[new URL(rig.harbor.url).host]?.auth ?? '', 'base64').toString(), `ursula:${harborHas}`);
      assert.equal(storedStatus(ws, name).state, 'valid');
    } finally {
      await app.stop();
    }
  });
});
