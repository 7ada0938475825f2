import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot, run } from '../helpers/berth.js';

/**
 * test/run.sh as each CI runner has it: `uname` says the system, and the PATH holds node and bash but no
 * dbus-run-session (macOS and Windows have none; a Linux missing it is a broken CI machine).
 */
function runnerPath(system: string): string {
  const bin = mkdtempSync(join(tmpdir(), 'berth-runner-'));
  for (const program of ['bash', 'dirname']) symlinkSync(`/usr/bin/${program}`, join(bin, program));
  symlinkSync(process.execPath, join(bin, 'node'));
  writeFileSync(join(bin, 'uname'), `#!/bin/sh\necho '${system}'\n`);
  chmodSync(join(bin, 'uname'), 0o755);
  return bin;
}

function sampleTest(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-runner-tests-'));
  const file = join(dir, 'smoke.test.mjs');
  writeFileSync(
    file,
    [
      "import { describe, test } from 'node:test';",
      "describe('the app in real Electron', () => { test('starts', () => {}); });",
      "describe('the app in real Electron, on the rig', { skip: 'not run: no gnome-keyring on a private D-Bus session (macOS has none)' }, () => { test('adds a Harbor', () => {}); });",
    ].join('\n'),
  );
  return file;
}

async function runnerOn(system: string) {
  const { NODE_TEST_CONTEXT: _parent, BERTH_TEST_KEYRING: _keyring, ...env } = process.env;
  return run('/usr/bin/bash', [join(projectRoot, 'test', 'run.sh'), sampleTest()], { ...env, CI: 'true', PATH: runnerPath(system) });
}

for (const system of ['Darwin', 'MINGW64_NT-10.0-20348']) {
  test(`test/run.sh on ${system} in CI: no D-Bus by design, so the tests run without it and the not-run list names what needed it`, async () => {
    const result = await runnerOn(system);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /with-keyring/);
    assert.match(result.stdout, /^ok 1 - the app in real Electron$/m);
    assert.match(result.stdout, /# 1 suite not run:\n# {3}the app in real Electron, on the rig \(not run: no gnome-keyring on a private D-Bus session \(macOS has none\)\)\n/);
  });
}

test('test/run.sh on Linux in CI without D-Bus fails at once, naming what to install', async () => {
  const result = await runnerOn('Linux');
  assert.equal(result.code, 1);
  assert.match(result.stderr, /with-keyring: dbus-run-session and gnome-keyring-daemon are required \(apt-get install dbus gnome-keyring\)/);
  assert.equal(result.stdout, '', 'no test ran');
});
