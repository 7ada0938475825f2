import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shadowingAuthFiles } from '../../main/credentials/shadow-auth-files.js';

test('the podman and helm auth files are found where those tools look for them', () => {
  assert.deepEqual(shadowingAuthFiles({ XDG_RUNTIME_DIR: '/run/user/1000' }, 'linux', '/home/ann'), [
    '/run/user/1000/containers/auth.json',
    '/home/ann/.config/containers/auth.json',
    '/home/ann/.config/helm/registry/config.json',
  ]);
  assert.deepEqual(shadowingAuthFiles({ REGISTRY_AUTH_FILE: '/etc/auth.json', XDG_CONFIG_HOME: '/cfg', HELM_REGISTRY_CONFIG: '/helm.json' }, 'linux', '/home/ann'), [
    '/etc/auth.json',
    '/cfg/containers/auth.json',
    '/helm.json',
  ]);
  assert.deepEqual(shadowingAuthFiles({ HELM_CONFIG_HOME: '/h' }, 'linux', '/home/ann').at(-1), '/h/registry/config.json');
  assert.deepEqual(shadowingAuthFiles({}, 'darwin', '/Users/ann'), ['/Users/ann/.config/containers/auth.json', '/Users/ann/Library/Preferences/helm/registry/config.json']);
});
