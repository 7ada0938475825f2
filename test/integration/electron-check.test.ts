import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot, run } from '../helpers/berth.js';
import { electronBinary } from '../rig/components.js';

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

test("npm start runs the check first (prestart, after the build), so a missing binary is explained before Electron's own launcher fails", async () => {
  const scripts = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const steps = (scripts.prestart ?? '').split(' && ');
  assert.deepEqual(steps, ['npm run build', 'node dist/main/cli/electron-check.js']);
  assert.equal(scripts.start, 'electron .');
  // The check's step as npm runs it, from the project folder, with this project's electron package.
  const { ELECTRON_OVERRIDE_DIST_PATH: _override, ...env } = process.env;
  const step = await run('/bin/sh', ['-c', `cd "$0" && ${steps[1]}`, projectRoot], env);
  if (electronBinary()) {
    assert.deepEqual([step.code, step.stderr], [0, ''], 'Electron is installed: npm start goes on');
  } else {
    assert.equal(step.code, 1, 'no binary: npm start stops here');
    assert.match(step.stderr, /Berth's desktop app needs Electron's binary, which is not installed/);
  }
});
