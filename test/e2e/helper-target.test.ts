import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { unless } from '../rig/components.js';
import { useRig } from '../helpers/rig.js';
import { assertNoSecretsLeaked, dockerConfigJson, dockerInspect, helperOnPath, signedIn, skopeoInspect } from '../helpers/berth.js';

describe('credential target "helper": docker asks docker-credential-berth on each use', { skip: unless('docker-registry', 'docker', 'skopeo', 'openssl', 'keyring') }, () => {
  const rig = useRig({}, 'alice');

  test('config.json holds no secret, docker and skopeo read through the helper, and a regenerated secret needs no other step', async () => {
    const { ws, name } = await signedIn(rig(), 'alice');
    const host = new URL(rig().harbor.url).host;
    helperOnPath(ws);

    const switched = await ws.berth('target', name, 'helper', '--json');
    assert.equal(switched.code, 0, switched.stderr);
    assert.equal((JSON.parse(switched.stdout) as { target: string }).target, 'helper');
    const config = dockerConfigJson(ws);
    assert.deepEqual(config.credHelpers, { [host]: 'berth' });
    assert.equal((config.auths as Record<string, unknown>)[host], undefined, 'the plaintext entry is gone');
    const secret = rig().harbor.user('alice')?.secret as string;
    assert.ok(!JSON.stringify(config).includes(secret));

    for (const read of [dockerInspect, skopeoInspect]) {
      const result = await read(ws, rig().imageRef);
      assert.equal(result.code, 0, result.stderr);
    }

    assert.equal((await ws.berth('regenerate', name, '--yes')).code, 0);
    const renewed = rig().harbor.user('alice')?.secret as string;
    assert.notEqual(renewed, secret);
    assert.ok(!JSON.stringify(dockerConfigJson(ws)).includes(renewed), 'still no secret in config.json');
    for (const read of [dockerInspect, skopeoInspect]) {
      const result = await read(ws, rig().imageRef);
      assert.equal(result.code, 0, `the new secret is used with no other step: ${result.stderr}`);
    }

    assert.equal((await ws.berth('target', name, 'config')).code, 0);
    const back = dockerConfigJson(ws);
    assert.equal((back.credHelpers as Record<string, string>)[host], undefined);
    assert.equal(Buffer.from((back.auths as Record<string, { auth: string }>)[host]?.auth ?? '', 'base64').toString(), `alice:${renewed}`);

    assert.equal((await ws.berth('target', name, 'helper')).code, 0);
    assert.equal((await ws.berth('logout', name)).code, 0);
    assert.equal((dockerConfigJson(ws).credHelpers as Record<string, string>)[host], undefined, 'logout removes Berth from credHelpers');
    assert.notEqual((await dockerInspect(ws, rig().imageRef)).code, 0);
    assertNoSecretsLeaked(rig(), ws);
  });
});
