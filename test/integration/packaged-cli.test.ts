import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot, run } from '../helpers/berth.js';

test('in the installed app, berth and docker-credential-berth on PATH run on the app\'s Electron as Node', async () => {
  // The deb's layout: /opt/Berth/berth-app, resources/app (the app folder), resources/bin (the wrappers), links in /usr/bin.
  const root = mkdtempSync(join(tmpdir(), 'berth-installed-'));
  const opt = join(root, 'opt', 'Berth');
  const resources = join(opt, 'resources');
  mkdirSync(resources, { recursive: true });
  symlinkSync(projectRoot, join(resources, 'app'));
  cpSync(join(projectRoot, 'packaging', 'bin'), join(resources, 'bin'), { recursive: true, verbatimSymlinks: true });
  // Electron stands in as the Node it becomes with ELECTRON_RUN_AS_NODE=1; without it, it would start the tray app.
  writeFileSync(join(opt, 'berth-app'), `#!/bin/sh\n[ "$ELECTRON_RUN_AS_NODE" = 1 ] || { echo "would start the app" >&2; exit 99; }\nexec "${process.execPath}" "$@"\n`);
  chmodSync(join(opt, 'berth-app'), 0o755);
  const usrBin = join(root, 'usr', 'bin');
  mkdirSync(usrBin, { recursive: true });
  for (const name of ['berth', 'docker-credential-berth']) symlinkSync(join(resources, 'bin', name), join(usrBin, name));
  const env = { ...process.env, PATH: `${usrBin}:${process.env.PATH ?? ''}`, BERTH_HOME: join(root, 'home') };

  const version = await run('berth', ['--version'], env);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  const helper = await run('docker-credential-berth', ['version'], env);
  assert.equal(helper.code, 0, helper.stderr);
  assert.match(helper.stdout, /docker-credential-berth/);
  const list = await run('docker-credential-berth', ['list'], env);
  assert.deepEqual(JSON.parse(list.stdout), {});
});
