import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { workspace } from '../helpers/berth.js';

test('a Berth folder others can write to is warned about by every command and by the doctor', async () => {
  const ws = workspace();
  mkdirSync(ws.berthHome, { recursive: true });
  chmodSync(ws.berthHome, 0o777);
  const warned = new RegExp(`warning: Berth's folder ${ws.berthHome} can be written by other users \\(mode 0777\\).*Run \`chmod 700`);
  assert.match((await ws.berth('status')).stderr, warned);
  // A check, answered by the quick start where the folder is safe, is warned about too.
  assert.match((await ws.berth('check', '127.0.0.1:9')).stderr, warned);
  const doctor = await ws.berth('doctor');
  assert.match(doctor.stdout, /PROBLEM {2}settings: Berth's folder .* can be written by other users/);
  chmodSync(ws.berthHome, 0o700);
  assert.doesNotMatch((await ws.berth('status')).stderr, /can be written by other users/);
});

test('berth.log planted as a symbolic link elsewhere is not written through', async () => {
  const ws = workspace();
  mkdirSync(ws.berthHome, { recursive: true, mode: 0o700 });
  const target = join(ws.home, 'somewhere-else.txt');
  writeFileSync(target, 'precious\n');
  symlinkSync(target, join(ws.berthHome, 'berth.log'));
  // Every check logs a line.
  await ws.berth('check', '127.0.0.1:9');
  assert.equal(readFileSync(target, 'utf8'), 'precious\n', 'the file the link points to is untouched');
  assert.ok(lstatSync(join(ws.berthHome, 'berth.log')).isSymbolicLink());
  assert.ok(existsSync(target));
});
