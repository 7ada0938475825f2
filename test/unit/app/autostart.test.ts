import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { autostartEntry, autostartFile, electronStartAtLogin, launchCommand, xdgStartAtLogin, type LoginItemApp } from '../../../main/app/autostart.js';

test('the XDG autostart entry starts Berth hidden in the tray, with its command quoted as the spec asks', () => {
  assert.equal(
    autostartEntry(['/opt/Berth Apps/berth', '--hidden']),
    [
      '[Desktop Entry]',
      'Type=Application',
      'Name=Berth',
      'Comment=Keeps your container registry logins alive',
      'Exec="/opt/Berth Apps/berth" --hidden',
      'Icon=berth-app',
      'Terminal=false',
      'X-GNOME-Autostart-enabled=true',
      '',
    ].join('\n'),
  );
  assert.match(autostartEntry(['/home/a"b/$x/berth']), /^Exec="\/home\/a\\"b\/\\\$x\/berth"$/m);
});

test('the entry goes to $XDG_CONFIG_HOME/autostart, or ~/.config/autostart', () => {
  assert.equal(autostartFile({ XDG_CONFIG_HOME: '/x/config' }, '/home/a'), '/x/config/autostart/berth.desktop');
  assert.equal(autostartFile({}, '/home/a'), '/home/a/.config/autostart/berth.desktop');
  assert.equal(autostartFile({ XDG_CONFIG_HOME: 'relative' }, '/home/a'), '/home/a/.config/autostart/berth.desktop', 'a relative value is ignored, as the spec says');
});

test('turning start at login on writes the entry, off removes it; a desktop-hidden entry counts as off', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'berth-autostart-')), 'autostart', 'berth.desktop');
  const login = xdgStartAtLogin(file, ['/usr/bin/berth-app', '--hidden']);
  assert.equal(login.get(), false);
  login.set(true);
  assert.equal(login.get(), true);
  assert.match(readFileSync(file, 'utf8'), /^Exec=\/usr\/bin\/berth-app --hidden$/m);
  assert.equal(statSync(file).mode & 0o777, 0o644);
  writeFileSync(file, `${readFileSync(file, 'utf8')}Hidden=true\n`);
  assert.equal(login.get(), false);
  login.set(false);
  assert.equal(existsSync(file), false);
  login.set(false);
});

test('the command is the AppImage itself when run from one, and names the app folder when unpackaged', () => {
  assert.deepEqual(launchCommand({ APPIMAGE: '/home/a/Berth.AppImage' }, '/tmp/.mount_x/berth', null), ['/home/a/Berth.AppImage', '--hidden']);
  assert.deepEqual(launchCommand({}, '/opt/Berth/berth', null), ['/opt/Berth/berth', '--hidden']);
  assert.deepEqual(launchCommand({}, '/src/node_modules/electron/dist/electron', '/src'), ['/src/node_modules/electron/dist/electron', '/src', '--hidden']);
});

/** Electron on Windows: an entry is found only when asked with the arguments it was registered with. */
function windowsLoginItems(): LoginItemApp {
  const entries: { args: string[] }[] = [];
  const same = (a: string[] = [], b: string[] = []) => a.length === b.length && a.every((arg, index) => arg === b[index]);
  return {
    getLoginItemSettings: (options) => ({ openAtLogin: entries.some((entry) => same(entry.args, options?.args)) }),
    setLoginItemSettings: ({ openAtLogin, args = [] }) => {
      const index = entries.findIndex((entry) => same(entry.args, args));
      if (openAtLogin && index < 0) entries.push({ args });
      if (!openAtLogin && index >= 0) entries.splice(index, 1);
    },
  };
}

test('Windows: "Start at login" reads back what was set, so the tray toggle can turn it off again', () => {
  const notTaken: boolean[] = [];
  const startAtLogin = electronStartAtLogin(windowsLoginItems(), (wanted) => notTaken.push(wanted));
  assert.equal(startAtLogin.get(), false);
  startAtLogin.set(!startAtLogin.get());
  assert.equal(startAtLogin.get(), true);
  startAtLogin.set(!startAtLogin.get());
  assert.equal(startAtLogin.get(), false, 'the toggle turned it off');
  assert.deepEqual(notTaken, [], 'every change took');
});

test('macOS unsigned: a login item the system silently ignores is read back and reported, and reads as off', () => {
  const notTaken: boolean[] = [];
  const ignoring = { getLoginItemSettings: () => ({ openAtLogin: false }), setLoginItemSettings: () => undefined };
  const startAtLogin = electronStartAtLogin(ignoring, (wanted) => notTaken.push(wanted));
  startAtLogin.set(true);
  assert.deepEqual(notTaken, [true]);
  assert.equal(startAtLogin.get(), false, 'the toggle shows what the system did');
});
