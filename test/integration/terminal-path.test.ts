import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { findOnPath } from '../../main/credentials/find-on-path.js';
import { mergedPath, terminalPath } from '../../main/credentials/terminal-path.js';

/** A home whose login profile prints a banner and adds a folder holding a docker credential helper, as Homebrew's or Docker Desktop's setup does. */
function homeWithHelperInProfile(profile: string): { home: string; tools: string } {
  const home = mkdtempSync(join(tmpdir(), 'berth-shell-home-'));
  const tools = join(home, 'tools');
  mkdirSync(tools);
  writeFileSync(join(tools, 'docker-credential-desktop'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(tools, 'docker-credential-desktop'), 0o755);
  writeFileSync(join(home, profile), 'echo "Welcome back"\nexport PATH="$HOME/tools:$PATH"\n');
  return { home, tools };
}

// An app started from the Dock or a desktop launcher has this PATH on macOS.
const bareAppPath = '/usr/bin:/bin:/usr/sbin:/sbin';

describe("the app finds docker's credential helpers where the user's terminal finds them", () => {
  for (const [shell, profile] of [
    ['/bin/bash', '.bash_profile'],
    ['/bin/sh', '.profile'],
  ] as const) {
    test(`${shell}: the folder the login profile adds to PATH comes first; the banner it prints does not get in the way`, async () => {
      const { home, tools } = homeWithHelperInProfile(profile);
      const env = { HOME: home, SHELL: shell, PATH: bareAppPath };
      assert.equal(findOnPath('docker-credential-desktop', env), undefined, 'not found with the bare PATH of an app');
      const terminal = await terminalPath(env, 'linux');
      assert.ok(terminal, 'the shell answered');
      assert.equal(terminal.split(':')[0], tools);
      const merged = mergedPath(terminal, env.PATH);
      assert.equal(findOnPath('docker-credential-desktop', { PATH: merged }), join(tools, 'docker-credential-desktop'));
      assert.deepEqual(
        bareAppPath.split(':').filter((dir) => !merged.split(':').includes(dir)),
        [],
        "the app's own folders stay",
      );
      assert.equal(new Set(merged.split(':')).size, merged.split(':').length, 'each folder once');
    });
  }

  test('a profile that hangs: no PATH within the deadline, and the shell is ended with what it started', async () => {
    const home = mkdtempSync(join(tmpdir(), 'berth-shell-home-'));
    const started = join(home, 'sleeper.pid');
    writeFileSync(join(home, '.bash_profile'), `sleep 600 & echo $! > '${started}'; wait\n`);
    assert.equal(await terminalPath({ HOME: home, SHELL: '/bin/bash', PATH: bareAppPath }, 'linux', 1_000), undefined);
    // On a busy machine the shell may not have reached the sleep within the deadline: then there is nothing left to end.
    if (existsSync(started)) {
      const pid = Number(readFileSync(started, 'utf8'));
      await waitUntilGone(pid);
      assert.equal(alive(pid), false, 'the sleep the profile started was ended too');
    }
  });

  test('no usable shell, or Windows: no PATH, so the app keeps its own', async () => {
    assert.equal(await terminalPath({ HOME: tmpdir(), SHELL: '/nonexistent/shell', PATH: bareAppPath }, 'linux'), undefined);
    assert.equal(await terminalPath({ HOME: tmpdir(), SHELL: '/bin/false', PATH: bareAppPath }, 'linux'), undefined);
    assert.equal(await terminalPath({ HOME: tmpdir(), SHELL: '/bin/bash', PATH: bareAppPath }, 'win32'), undefined);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number): Promise<void> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
}
