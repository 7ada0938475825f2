import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cannotExistOn, skipReason, type Component, type ComponentRules } from '../rig/components.js';

/** A machine of this system with only these components, in CI (strict). */
function machine(platform: NodeJS.Platform, has: Component[], notHere: Component[] = []): ComponentRules {
  return { platform, present: (component) => has.includes(component), notHere: new Set(notHere), strict: true };
}

// The smoke test's two suites: the app alone, and the app on the rig.
const app: Component[] = ['electron'];
const onTheRig: Component[] = ['electron', 'keyring', 'docker-registry', 'openssl'];

test('macOS and Windows in CI: the rig suites are listed as not run, by what the system cannot have; the app itself must run', () => {
  for (const platform of ['darwin', 'win32'] as const) {
    const runner = machine(platform, ['electron', 'openssl', 'node22']);
    assert.equal(skipReason(app, runner), false);
    const system = platform === 'darwin' ? 'macOS' : 'Windows';
    assert.equal(skipReason(onTheRig, runner), `not run: no gnome-keyring on a private D-Bus session, no docker-registry (Debian's CNCF distribution) (${system} has none)`);
    // Electron can be downloaded there: without it the run fails instead of passing quietly.
    assert.throws(() => skipReason(app, machine(platform, ['openssl'])), /missing test components: electron \(see .ci\/run for how to install them\); strict mode does not skip/);
    assert.throws(() => skipReason(['docker', 'openssl'], runner), /missing test components: docker \(/, 'a docker CLI could be there');
    // A suite that cannot run on this system is not run, whatever else it would need.
    assert.equal(skipReason(['docker', 'keyring'], runner), `not run: no gnome-keyring on a private D-Bus session (${system} has none)`);
  }
  assert.deepEqual(cannotExistOn.linux, undefined, 'Linux can have every component');
});

test('Linux in CI: anything missing fails, except what BERTH_TEST_NOT_HERE names, which reads "not run: no Electron binary"', () => {
  const debian = machine('linux', ['keyring', 'docker-registry', 'openssl', 'dbus'], ['electron']);
  assert.equal(skipReason(app, debian), 'not run: no Electron binary');
  assert.equal(skipReason(onTheRig, debian), 'not run: no Electron binary');
  assert.throws(() => skipReason(['dbus', 'keyring', 'tmux'], debian), /missing test components: tmux/);
  assert.equal(skipReason(['tmux'], { ...debian, strict: false }), 'missing test components: tmux (see .ci/run for how to install them)', 'outside CI: skipped with the reason');
});
