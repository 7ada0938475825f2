import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { literally } from '../../helpers/pattern.js';

// The real electron-store, on the fake `electron` module (it reads `app` from it), as in the start-up test.
register('../../helpers/fake-electron/hooks.js', import.meta.url);
const { openPreferences, preferencesFileName } = await import('../../../main/app/preferences.js');

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'berth-prefs-'));
}

function fileOf(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, preferencesFileName), 'utf8')) as Record<string, unknown>;
}

const quiet = { warn: () => undefined };

test('what the app sets is in its file and read back when it opens the file again: window bounds, last registry, close choice, notifications', () => {
  const dir = folder();
  const first = openPreferences(dir, '0.2.0', quiet);
  assert.equal(first.problem, null);
  assert.equal(first.preferences.get('windowBounds'), null, 'a fresh file: the defaults');
  assert.equal(first.preferences.get('closeWithoutTray'), 'minimize');
  first.preferences.set('windowBounds', { x: 40, y: 60, width: 900, height: 700 });
  first.preferences.set('lastRegistry', 'team');
  first.preferences.set('closeWithoutTray', 'quit');
  first.preferences.set('notifications', false);
  if (process.platform !== 'win32') assert.equal(statSync(join(dir, preferencesFileName)).mode & 0o777, 0o600);

  const again = openPreferences(dir, '0.2.0', quiet).preferences;
  assert.deepEqual(again.get('windowBounds'), { x: 40, y: 60, width: 900, height: 700 });
  assert.equal(again.get('lastRegistry'), 'team');
  assert.equal(again.get('closeWithoutTray'), 'quit');
  assert.equal(again.get('notifications'), false);
  assert.equal(again.get('updateServer'), null);
});

test("migration: an earlier version's updateUrl (taken from a profile without asking) becomes an update server not yet agreed to; the rest is kept; it runs once", () => {
  const dir = folder();
  writeFileSync(join(dir, preferencesFileName), JSON.stringify({ closeWithoutTray: 'quit', trayMissingExplained: true, updateUrl: 'https://updates.example.org/berth' }));
  const opened = openPreferences(dir, '0.1.0', quiet);
  assert.equal(opened.problem, null);
  assert.deepEqual(opened.preferences.get('updateServer'), { url: 'https://updates.example.org/berth', registry: null, confirmed: false });
  assert.equal(opened.preferences.get('closeWithoutTray'), 'quit');
  assert.equal(opened.preferences.get('trayMissingExplained'), true);
  const written = fileOf(dir);
  assert.equal('updateUrl' in written, false, 'the old field is gone from the file');
  assert.deepEqual(written.updateServer, { url: 'https://updates.example.org/berth', registry: null, confirmed: false });

  // The person declined it; a later version opening the file does not bring it back.
  opened.preferences.set('updateServer', null);
  const later = openPreferences(dir, '0.3.0', quiet).preferences;
  assert.equal(later.get('updateServer'), null);
  assert.equal(later.get('closeWithoutTray'), 'quit');

  const insecure = folder();
  writeFileSync(join(insecure, preferencesFileName), JSON.stringify({ updateUrl: 'http://updates.example.org/berth' }));
  assert.equal(openPreferences(insecure, '0.2.0', quiet).preferences.get('updateServer'), null, 'a plain-http server is not carried over');
  assert.equal('updateUrl' in fileOf(insecure), false);
});

for (const [kind, text, reason] of [
  ['does not parse', '{"closeWithoutTray": "quit",', /JSON|Unexpected|end of/i],
  ['breaks the schema', JSON.stringify({ closeWithoutTray: 'explode', windowBounds: { x: 0, y: 0, width: 10, height: 10 } }), /closeWithoutTray|windowBounds|must be/],
] as const) {
  test(`a preferences file that ${kind} is kept as it is: the app runs on defaults in memory and says which file and why`, () => {
    const dir = folder();
    const path = join(dir, preferencesFileName);
    writeFileSync(path, text);
    const warnings: { message: string; fields: Record<string, unknown> | undefined }[] = [];
    const opened = openPreferences(dir, '0.2.0', { warn: (message, fields) => void warnings.push({ message, fields }) });
    assert.match(opened.problem ?? '', new RegExp(`could not read its app preferences in ${literally(path)}`));
    assert.match(opened.problem ?? '', reason);
    assert.match(opened.problem ?? '', /leaves the file as it is: what you change now is forgotten when Berth quits/);
    assert.equal(warnings[0]?.fields?.file, path);
    assert.equal(opened.preferences.get('closeWithoutTray'), 'minimize', 'the defaults');
    opened.preferences.set('closeWithoutTray', 'quit');
    opened.preferences.set('windowBounds', { x: 1, y: 2, width: 800, height: 600 });
    assert.equal(opened.preferences.get('closeWithoutTray'), 'quit', 'a change holds while the app runs');
    assert.equal(readFileSync(path, 'utf8'), text, 'the file is exactly as it was');
  });
}
