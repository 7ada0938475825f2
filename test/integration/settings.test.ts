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
  assert.equal(configDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32', 'C:\\Users\\a'), join('C:\\Users\\a\\AppData\\Roaming', 'Berth'));
  assert.equal(configDir({ BERTH_HOME: '/tmp/b' }, 'linux', '/home/a'), '/tmp/b');
});

test('settings are written 0600 in a 0700 folder and read back', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'berth-settings-')), 'Berth');
  const { settings, status } = openStores(dir);
  settings.add({ name: 'work', kind: 'harbor', url: 'https://harbor.example.org', issuer: 'https://idp.example.org', clientId: 'berth', scopes: 'openid', authParams: {}, idleDays: 30 });
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
  assert.throws(() => openStores(dir), /settings\.json: Config schema violation: `registries` must be array/);
});
