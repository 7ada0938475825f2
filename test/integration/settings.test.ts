import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStores } from '../../main/settings/node-stores.js';
import { configDir } from '../../main/settings/paths.js';

test('the config folder is Electron’s userData for "Berth", or $BERTH_HOME', () => {
  assert.equal(configDir({}, 'linux', '/home/a'), '/home/a/.config/Berth');
  assert.equal(configDir({ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/a'), '/x/Berth');
  assert.equal(configDir({}, 'darwin', '/Users/a'), '/Users/a/Library/Application Support/Berth');
  assert.equal(configDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32', 'C:\\Users\\a'), 'C:\\Users\\a\\AppData\\Roaming\\Berth');
  assert.equal(configDir({}, 'win32', 'C:\\Users\\a'), 'C:\\Users\\a\\AppData\\Roaming\\Berth');
  assert.equal(configDir({ BERTH_HOME: '/tmp/b' }, 'linux', '/home/a'), '/tmp/b');
});

test('settings are written 0600 in a 0700 folder and read back', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'berth-settings-')), 'Berth');
  const { settings, status } = openStores(dir);
  settings.add({ name: 'work', kind: 'harbor', method: 'oidc', url: 'https://harbor.example.org', issuer: 'https://idp.example.org', clientId: 'berth', scopes: 'openid', authParams: {}, idleDays: 30 });
  status.put('work', { state: 'valid', username: 'alice', lastError: undefined });
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, 'settings.json')).mode & 0o777, 0o600);
  const reopened = openStores(dir);
  assert.equal(reopened.settings.get('work').url, 'https://harbor.example.org');
  assert.deepEqual(reopened.status.get('work'), { state: 'valid', username: 'alice' });
  assert.deepEqual(reopened.status.get('other'), { state: 'signed-out' });
  assert.throws(() => settings.add({ ...settings.get('work') }), /already exists/);
});

test('a settings file that does not parse is named with its position and left as it is', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-settings-'));
  const broken = '{\n  "registries": [\n    {"name": "work",}\n  ]\n}\n';
  writeFileSync(join(dir, 'settings.json'), broken);
  assert.throws(() => openStores(dir).settings.registries(), new RegExp(`${join(dir, 'settings.json')}:3:21: not valid JSON`));
  assert.equal(readFileSync(join(dir, 'settings.json'), 'utf8'), broken);
  writeFileSync(join(dir, 'settings.json'), '{"registries": 5}');
  assert.throws(() => openStores(dir).settings.registries(), /settings\.json: registries must be an array\. Berth left the file as it is/);
});

test('each field that breaks the rules is named, and the file is not rewritten', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-settings-'));
  const bad = JSON.stringify({
    registries: [
      { name: 'Work', kind: 'harbor', url: 'not a url', clientId: '', scopes: 'openid', authParams: { a: 1 }, idleDays: 0 },
      { name: 'tok', kind: 'token', url: 'https://r.example.org', target: 'keychain' },
    ],
    preferences: { warnDays: -1 },
  });
  writeFileSync(join(dir, 'settings.json'), bad);
  const { settings, status } = openStores(dir);
  assert.throws(
    () => settings.registries(),
    (error: Error) => {
      for (const part of [
        'registries[0].issuer is missing',
        'registries[0].name must be lower-case letters',
        'registries[0].url must be a URL',
        'registries[0].clientId must be a non-empty string',
        'registries[0].authParams must be an object of strings',
        'registries[0].idleDays must be a positive number',
        'registries[1].target must be "config" or "helper"',
        'preferences.warnDays must be 0 or a positive number',
      ]) {
        assert.ok(error.message.includes(part), `${part} in: ${error.message}`);
      }
      return true;
    },
  );
  assert.throws(() => settings.remove('tok'), /registries\[0\]\.url must be a URL/);
  assert.equal(readFileSync(join(dir, 'settings.json'), 'utf8'), bad);

  writeFileSync(join(dir, 'status.json'), JSON.stringify({ registries: { work: { state: 'fine', idleDeadline: 'soon' } } }));
  assert.throws(() => status.get('work'), /registries\.work\.state must be one of signed-out, valid.*; registries\.work\.idleDeadline must be a date/);
});
