import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { unless } from '../rig/components.js';
import { useRig } from '../helpers/rig.js';
import { join } from 'node:path';
import { addArgs, assertNoSecretsLeaked, browserCommand, dockerConfigJson, dockerInspect, projectRoot, run, skopeoInspect, storedSecret, uniqueName, workspace } from '../helpers/berth.js';

describe('berth add + login against Harbor, the identity provider and a real registry', { skip: unless('docker-registry', 'docker', 'skopeo', 'openssl', 'keyring') }, () => {
  const rig = useRig({}, 'alice');

  test('docker and skopeo read the image with only what Berth wrote; logout takes it all back', async () => {
    const ws = workspace();
    const name = uniqueName();
    const host = new URL(rig().harbor.url).host;

    assert.equal((await dockerInspect(ws, rig().imageRef)).code, 1, 'without credentials docker cannot read the private image');

    const added = await ws.berth(...addArgs(rig(), name));
    assert.equal(added.code, 0, added.stderr);
    const login = await ws.berth('login', name, '--browser-command', browserCommand('--login', 'alice'), '--timeout', '30');
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /Signed in to .* as alice/);

    const secret = rig().harbor.user('alice')?.secret as string;
    assert.equal(await storedSecret(ws, name, 'cli-secret'), secret, 'the CLI secret is in the keychain');
    const refreshToken = await storedSecret(ws, name, 'refresh-token');
    assert.ok(refreshToken && (await rig().idp.refreshTokenActive(refreshToken)), "Berth's refresh token is in the keychain and live");

    const auths = dockerConfigJson(ws).auths as Record<string, { auth: string }>;
    assert.equal(Buffer.from(auths[host]?.auth ?? '', 'base64').toString(), `alice:${secret}`);

    const docker = await dockerInspect(ws, rig().imageRef);
    assert.equal(docker.code, 0, docker.stderr);
    assert.match(docker.stdout, /application\/vnd\.docker\.distribution\.manifest\.v2\+json/);
    const skopeo = await skopeoInspect(ws, rig().imageRef);
    assert.equal(skopeo.code, 0, skopeo.stderr);
    assert.equal((JSON.parse(skopeo.stdout) as { Digest: string }).Digest, rig().image.digest);

    const helperGet = await run(process.execPath, [join(projectRoot, 'bin', 'docker-credential-berth.js'), 'get'], ws.env, `https://${host}`);
    assert.equal(helperGet.code, 0, helperGet.stderr);
    assert.deepEqual(JSON.parse(helperGet.stdout), { ServerURL: host, Username: 'alice', Secret: secret }, 'docker-credential-berth answers from the keychain');

    const status = await ws.berth('status', name, '--json');
    assert.equal(status.code, 0, status.stderr);
    const [entry] = JSON.parse(status.stdout) as Record<string, unknown>[];
    assert.equal(entry?.state, 'valid');
    assert.equal(entry?.username, 'alice');
    assert.equal(entry?.registry, host);
    assert.equal(entry?.kind, 'harbor');
    assert.ok(Date.parse(entry?.idleDeadline as string) > Date.now() + 29 * 86_400_000, 'idle deadline is 30 days out');

    const logout = await ws.berth('logout', name);
    assert.equal(logout.code, 0, logout.stderr);
    assert.equal((dockerConfigJson(ws).auths as Record<string, unknown>)[host], undefined, 'the config.json entry is gone');
    assert.equal(await storedSecret(ws, name, 'cli-secret'), null);
    assert.equal(await storedSecret(ws, name, 'refresh-token'), null);
    assert.equal(await rig().idp.refreshTokenActive(refreshToken), false, 'the refresh token is revoked at the provider');
    assert.notEqual((await dockerInspect(ws, rig().imageRef)).code, 0, 'docker can no longer read the image');
    assert.notEqual((await skopeoInspect(ws, rig().imageRef)).code, 0, 'skopeo can no longer read the image');
    const helperAfter = await run(process.execPath, [join(projectRoot, 'bin', 'docker-credential-berth.js'), 'get'], ws.env, host);
    assert.equal(helperAfter.code, 1);
    assert.equal(helperAfter.stdout.trim(), 'credentials not found in native keychain');
    const after = JSON.parse((await ws.berth('status', name, '--json')).stdout) as Record<string, unknown>[];
    assert.equal(after[0]?.state, 'signed-out');

    assertNoSecretsLeaked(rig(), ws);
  });
});
