import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNodeApi } from '../../main/api/node.js';
import { RegistryLocks } from '../../main/keepalive/registry-lock.js';
import { lockDir } from '../../main/settings/paths.js';
import { unless } from '../rig/components.js';
import { useRig } from '../helpers/rig.js';
import { assertNoSecretsLeaked, dockerInspect, shortWindows, signedIn, storedSecret } from '../helpers/berth.js';

describe('many processes refreshing one registry at once', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  const rig = useRig({ harborRefreshesOnEveryUse: true, provider: { revokeRefreshToken: true } }, 'alice');

  test('10 `berth refresh` processes and the in-process scheduler, three rounds: no refresh token is ever used twice', async () => {
    const { ws, name } = await signedIn(rig(), 'alice', ...shortWindows(0.3, 3600));
    const api = createNodeApi(ws.env);
    const scheduler = api.keepAliveScheduler();
    scheduler.start();
    try {
      for (let round = 1; round <= 3; round++) {
        const [processes, inProcess] = await Promise.all([
          Promise.all(Array.from({ length: 10 }, () => ws.berth('refresh', name, '--json'))),
          Promise.all([api.refresh(name), api.refresh(name)]),
        ]);
        for (const result of processes) {
          assert.equal(result.code, 0, `round ${round}: ${result.stderr}`);
          assert.doesNotMatch(result.stdout + result.stderr, /invalid_grant/);
          assert.equal((JSON.parse(result.stdout) as { state: string }[])[0]?.state, 'valid');
        }
        assert.equal(inProcess[0], inProcess[1], 'callers in one process share one pass');
        assert.equal(inProcess[0].state, 'valid');
      }
    } finally {
      await scheduler.stop();
    }
    assert.deepEqual(rig().idp.refreshTokenReuses, [], 'the identity provider never saw a refresh token twice');
    const refreshToken = await storedSecret(ws, name, 'refresh-token');
    assert.ok(refreshToken && (await rig().idp.refreshTokenActive(refreshToken)), 'the session survived');
    const passes = readFileSync(join(ws.berthHome, 'berth.log'), 'utf8').match(/keep-alive pass .*state="valid"/g) ?? [];
    assert.ok(passes.length >= 33, `every process made its pass (${passes.length})`);
    const docker = await dockerInspect(ws, rig().imageRef);
    assert.equal(docker.code, 0, docker.stderr);
    assertNoSecretsLeaked(rig(), ws);
  });

  test('regenerate waits for the registry lock another process holds before it refreshes Berth’s session', async () => {
    const { ws, name } = await signedIn(rig(), 'alice');
    let release: () => void = () => undefined;
    const holding = new Promise<void>((resolve) => (release = resolve));
    let acquired: () => void = () => undefined;
    const locked = new Promise<void>((resolve) => (acquired = resolve));
    // Another Berth process (the app, a keepalive) in the middle of its own pass.
    const other = new RegistryLocks(lockDir(ws.berthHome)).withLock(name, async () => {
      acquired();
      await holding;
    });
    await locked;
    const grants = rig().idp.grants.length;
    const regenerating = ws.berth('regenerate', name, '--yes');
    await sleep(2000);
    assert.equal(rig().idp.grants.length, grants, 'no refresh at the identity provider while another process holds the lock');
    release();
    await other;
    const result = await regenerating;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(rig().idp.grants.length > grants, 'it refreshed once the lock was free');
    assert.deepEqual(rig().idp.refreshTokenReuses, []);
    assertNoSecretsLeaked(rig(), ws);
  });
});
