import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot, run } from '../helpers/berth.js';

const check = join(projectRoot, 'dist', 'main', 'cli', 'electron-check.js');

test('npm start without Electron\'s binary says why it is missing, how to get it, and that the CLI works without it', async () => {
  const { ELECTRON_SKIP_BINARY_DOWNLOAD: _skip, ELECTRON_OVERRIDE_DIST_PATH: _override, ...env } = process.env;
  const electron = mkdtempSync(join(tmpdir(), 'berth-electron-'));
  writeFileSync(join(electron, 'package.json'), '{"name":"electron"}');

  const blocked = await run(process.execPath, [check, electron], env);
  assert.equal(blocked.code, 1);
  assert.match(blocked.stderr, /needs Electron's binary, which is not installed .*its download from github\.com did not happen or failed/);
  assert.match(blocked.stderr, /node node_modules\/electron\/install\.js/);
  assert.match(blocked.stderr, /the CLI and the credential helper work as they are: `node bin\/berth\.js --help`/);

  const skipped = await run(process.execPath, [check, electron], { ...env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
  assert.equal(skipped.code, 1);
  assert.match(skipped.stderr, /ELECTRON_SKIP_BINARY_DOWNLOAD is set, so npm install did not download it/);

  // What Electron's installer leaves: path.txt naming the binary under dist/.
  writeFileSync(join(electron, 'path.txt'), 'electron');
  mkdirSync(join(electron, 'dist'));
  writeFileSync(join(electron, 'dist', 'electron'), '');
  const installed = await run(process.execPath, [check, electron], env);
  assert.deepEqual([installed.code, installed.stderr], [0, '']);
});
