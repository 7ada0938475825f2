import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  // Profiles can tell Berth's question from a person's terminal, to skip what would prompt.
  writeFileSync(join(home, profile), '[ "$BERTH_RESOLVING_ENVIRONMENT" = 1 ] || exit 3\necho "Welcome back"\nexport PATH=".:~/bin:$HOME/tools:$PATH"\n');
  return { home, tools };
}

// An app started from the Dock or a desktop launcher has this PATH on macOS.
const bareAppPath = '/usr/bin:/bin:/usr/sbin:/sbin';

describe("the app finds docker's credential helpers where the user's terminal finds them", () => {
  for (const [shell, profile] of [
    ['/bin/bash', '.bash_profile'],
    ['/bin/sh', '.profile'],
  ] as const) {
    test(`${shell}: the folder the login profile adds to PATH comes first; the banner it prints does not get in the way`, async (t) => {
      const { home, tools } = homeWithHelperInProfile(profile);
      t.after(() => rmSync(home, { recursive: true, force: true }));
      const env = { HOME: home, SHELL: shell, PATH: bareAppPath };
      assert.equal(findOnPath('docker-credential-desktop', env), undefined, 'not found with the bare PATH of an app');
      const terminal = await terminalPath(env, 'linux');
      assert.ok(terminal, 'the shell answered');
      assert.equal(terminal.split(':')[0], tools, "only absolute folders: '.' and a literal ~/bin would be looked up from wherever the app runs");
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
    // The pid goes in place whole (mv), before the profile waits on it.
    writeFileSync(join(home, '.bash_profile'), `sleep 600 & echo $! > '${started}.tmp' && mv '${started}.tmp' '${started}'; wait\n`);
    try {
      assert.equal(await terminalPath({ HOME: home, SHELL: '/bin/bash', PATH: bareAppPath }, 'linux', 5_000), undefined);
      assert.ok(existsSync(started), 'the profile got as far as its sleep');
      const pid = Number(readFileSync(started, 'utf8'));
      assert.ok(pid > 1);
      await waitUntilGone(pid);
      assert.equal(running(pid), false, 'the sleep the profile started was ended too');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('a shell whose PATH is no list of folders gives none, so the app keeps its own', async () => {
    const home = mkdtempSync(join(tmpdir(), 'berth-shell-home-'));
    writeFileSync(join(home, '.bash_profile'), "export PATH='$PATH'\n");
    try {
      assert.equal(await terminalPath({ HOME: home, SHELL: '/bin/bash', PATH: bareAppPath }, 'linux'), undefined);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('no usable shell, or Windows: no PATH, so the app keeps its own', async () => {
    assert.equal(await terminalPath({ HOME: tmpdir(), SHELL: '/nonexistent/shell', PATH: bareAppPath }, 'linux'), undefined);
    assert.equal(await terminalPath({ HOME: tmpdir(), SHELL: '/bin/false', PATH: bareAppPath }, 'linux'), undefined);
    assert.equal(await terminalPath({ HOME: tmpdir(), SHELL: '/bin/bash', PATH: bareAppPath }, 'win32'), undefined);
  });
});

/** Whether the process runs: a zombie no init has reaped yet has ended. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number): Promise<void> {
  for (let i = 0; i < 100 && running(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
}
