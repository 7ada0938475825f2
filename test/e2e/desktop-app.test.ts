import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

    await app.command({ type: 'close-window' });
    seen = await app.snapshot();
    assert.equal(seen.quit, false, 'closing the window did not end Berth');
    assert.equal(seen.windows[0]?.minimized, true, 'it minimised, so it stays in the taskbar');

    const changed = (await app.command({ type: 'invoke', method: 'updateSettings', payload: { closeWithoutTray: 'quit' } })) as { ok: boolean; value: { closeWithoutTray: string } };
    assert.equal(changed.value.closeWithoutTray, 'quit');
    await app.command({ type: 'close-window' });
    const ended = await app.exited;
    assert.equal(ended.code, 0);
    assert.ok(ended.last?.quit, 'closing the window quit Berth');

    // The choice lives in the app's own preferences, never in the settings the CLI shares.
    const preferences = JSON.parse(readFileSync(join(ws.berthHome, 'app-preferences.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(preferences.closeWithoutTray, 'quit');
    assert.equal(preferences.trayMissingExplained, true);
    assert.doesNotMatch(existsSync(join(ws.berthHome, 'settings.json')) ? readFileSync(join(ws.berthHome, 'settings.json'), 'utf8') : '', /closeWithoutTray|trayMissing/);

    const again = launch(ws);
    seen = await again.until('the window is shown again', (s) => s.windows.some((w) => w.visible));
    assert.equal(seen.dialogs.length, 0, 'the missing tray is explained once, not at every start');
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

  test('updates: an AppImage takes them from the server a profile names, checks at start and from the tray, and says when one is ready; a deb leaves them to apt unless asked', async () => {
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
      const profile = JSON.stringify({ clientId: 'berth', issuer: 'https://sso.example.org/realms/corp', updateUrl: 'https://updates.example.org/berth' });
      assert.equal(((await first.command({ type: 'invoke', method: 'readProfile', payload: profile })) as { ok: boolean }).ok, true);
      await first.command({ type: 'quit' });
      await first.exited;

      const second = launch(ws, { ...appImage, updateOffered: '0.3.0' });
      seen = await second.until('the new version is ready', (s) => s.notifications.some((n) => n.title === 'Berth 0.3.0 is ready'));
      assert.ok(seen.journal.includes('updater feed: generic https://updates.example.org/berth'), seen.journal.join(' | '));
      assert.ok(seen.journal.includes('updater check (autoDownload=true, installOnQuit=true)'), 'checked at start, downloaded by itself, installed at quit');
      assert.equal(seen.notifications.find((n) => n.title === 'Berth 0.3.0 is ready')?.body, 'It installs when you quit Berth.');
      await second.command({ type: 'tray-menu', label: 'Check for updates…' });
      seen = await second.until('the tray check answers', (s) => s.dialogs.some((d) => /Berth 0\.3\.0 is downloading; it installs when you quit Berth\./.test(d.detail ?? '')));
      await second.command({ type: 'quit' });
      await second.exited;

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

  test('failures in the main process go to the log, never to an error dialog: a stale tray entry, a browser that will not open, a crashed page, a throwing timer', async () => {
    const host = await holdBusName(bus.address, statusNotifierWatcher);
    try {
      const ws = workspace();
      withHarbors(ws, 'gone');
      const app = launch(ws, { args: ['--hidden'], openExternalFails: true });
      await app.until('the tray lists the registry', (s) => s.trays[0]?.menu.some((label) => label.startsWith('gone')) === true);
      await app.command({ type: 'tray-menu', label: 'Open in browser' });
      await app.until('the failed browser is logged', () => /opening a page from the tray failed .*Failed to open https:\/\/gone\.example\.org/.test(logOf(ws)));
      await app.command({ type: 'tray-click' });
      await app.until('the window is shown', (s) => s.windows.some((w) => w.visible));
      await app.command({ type: 'page-crash' });
      await app.until('the crash is logged', () => /ERROR a page crashed url="app:\/\/berth\/index\.html" reason="crashed" exitCode=139/.test(logOf(ws)));
      await app.command({ type: 'main-throws', message: 'a timer failed' });
      await app.until('the exception is logged', () => /ERROR uncaught exception in the main process reason="a timer failed"/.test(logOf(ws)));
      const seen = await app.snapshot();
      assert.equal(seen.quit, false, 'Berth keeps running');
      assert.deepEqual(seen.dialogs, [], 'no "A JavaScript error occurred in the main process" box');

      // Removed by the CLI: the app's menu still shows it until its next look.
      assert.equal((await run(process.execPath, [berthBin, 'remove', 'gone'], ws.env)).code, 0);
      await app.command({ type: 'tray-menu', label: 'Renew now' });
      await app.until('the failure is logged', () => /refresh from the tray failed .*registry="gone"/.test(logOf(ws)), 30_000);
      const after = await app.snapshot();
      assert.equal(after.quit, false);
      assert.deepEqual(after.dialogs, []);
      assert.doesNotMatch(logOf(ws), /unhandled rejection/, 'every failure was caught where it happened');
      await app.command({ type: 'quit' });
      await app.exited;
    } finally {
      host.release();
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
      await app.command({ type: 'quit' });
      const waiting = await app.snapshot();
      assert.equal(waiting.quit, false, 'the app waits for the pass under way');
      hold.release();
      const ended = await app.exited;
      assert.equal(ended.code, 0);
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
