import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createApi } from '../../main/api/index.js';
import { DockerCredentialsTarget } from '../../main/credentials/docker-target.js';
import { BerthError } from '../../main/errors.js';
import { RegistryLocks } from '../../main/keepalive/registry-lock.js';
import { fileLogger } from '../../main/log/logger.js';
import { keychain, type SecretStore } from '../../main/secrets/keychain.js';
import { openStores } from '../../main/settings/node-stores.js';
import { lockDir, logFile } from '../../main/settings/paths.js';
import { unless } from '../rig/components.js';
import { useRig } from '../helpers/rig.js';
import { assertNoSecretsLeaked, signedIn, storedSecret } from '../helpers/berth.js';

describe('a refresh token the provider rotated, which the keychain will not take', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  // Presenting a spent refresh token ends the session here (Keycloak's "Revoke Refresh Token"): using the old one would show.
  const rig = useRig({ provider: { revokeRefreshToken: true } }, 'olaf');

  test('the pass keeps it in memory, the next pass in the same process uses it and not the spent one, and it is stored once the keychain takes it', async () => {
    const { ws, name } = await signedIn(rig(), 'olaf');
    // The real keychain, refusing refresh-token writes while `refusing` (as a keychain busy with an unlock prompt does).
    let refusing = true;
    const real = keychain(ws.berthHome);
    const secrets: SecretStore = {
      get: (registry, kind, options) => real.get(registry, kind, options),
      set: async (registry, kind, value) => {
        if (refusing && kind === 'refresh-token') throw new BerthError('keychain', 'The OS keychain refused the write (busy).', { registry });
        await real.set(registry, kind, value);
      },
      delete: (registry, kind) => real.delete(registry, kind),
    };
    const { settings, status } = openStores(ws.berthHome);
    const log = fileLogger(logFile(ws.berthHome));
    const api = createApi({ settings, status, secrets, docker: new DockerCredentialsTarget(ws.env, log), locks: new RegistryLocks(lockDir(ws.berthHome)), log });
    const spent = (await storedSecret(ws, name, 'refresh-token')) as string;

    const first = await api.refresh(name);
    assert.equal(first.state, 'error', 'Berth says its own session could not be saved');
    assert.match(first.lastError ?? '', /The OS keychain refused the write \(busy\)\. .*Harbor's session for olaf was kept alive and docker's credentials work/);
    assert.equal(await storedSecret(ws, name, 'refresh-token'), spent, 'the keychain still holds the old token');
    assert.equal(await rig().idp.refreshTokenActive(spent), false, 'which the provider has spent');

    const second = await api.refresh(name);
    assert.equal(second.state, 'error');
    assert.deepEqual(rig().idp.refreshTokenReuses, [], 'the next pass refreshed with the rotated token from memory, never the spent one');

    refusing = false;
    const third = await api.refresh(name);
    assert.equal(third.state, 'valid', third.lastError ?? '');
    const stored = (await storedSecret(ws, name, 'refresh-token')) as string;
    assert.notEqual(stored, spent);
    assert.equal(await rig().idp.refreshTokenActive(stored), true, 'the keychain now holds the token the provider honours');
    const next = await ws.berth('refresh', name, '--json');
    assert.equal((JSON.parse(next.stdout) as { state: string }[])[0]?.state, 'valid', 'and another process carries on with it');
    assert.deepEqual(rig().idp.refreshTokenReuses, []);
    assertNoSecretsLeaked(rig(), ws);
  });
});
