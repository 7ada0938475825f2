import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createNodeApi } from '../../main/api/node.js';
import { unless } from '../rig/components.js';
import { startRig } from '../rig/index.js';
import { useRig } from '../helpers/rig.js';
import { addArgs, assertNoSecretsLeaked, cliLogin, dockerConfigJson, dockerInspect, helperOnPath, modulesLoaded, projectRoot, signedIn, skopeoInspect, uniqueName, workspace } from '../helpers/berth.js';

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
    // The get docker runs on every pull, with the secret read from the keychain: no ES module, crypto, HTTP or TLS loaded for it.
    const { run: got, modules } = await modulesLoaded([join(projectRoot, 'bin', 'docker-credential-berth.js'), 'get'], ws.env, host);
    assert.equal(got.code, 0, got.stdout);
    assert.deepEqual(JSON.parse(got.stdout), { ServerURL: host, Username: 'alice', Secret: secret });
    const costly = modules.filter((module) => /^NativeModule (internal\/modules\/esm\/module_job|crypto|http|https|tls)$/.test(module));
    assert.deepEqual(costly, [], `get loaded ${costly.join(', ')}`);

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

  test('on a signed-out registry the target takes effect at the next sign-in, and says so', async () => {
    const ws = workspace();
    const name = uniqueName('later');
    assert.equal((await ws.berth(...addArgs(rig(), name))).code, 0);
    helperOnPath(ws);
    const switched = await ws.berth('target', name, 'helper');
    assert.equal(switched.code, 0, switched.stderr);
    assert.match(switched.stderr, new RegExp(`${name} is signed out, so nothing was written now: from the next sign-in \\(\`berth login ${name}\`\\) docker asks docker-credential-berth for 127\\.0\\.0\\.1:\\d+, and config\\.json holds no secret for it\\.`));
    assert.doesNotMatch(switched.stderr, /docker now asks/, 'no claim that docker already does');
    assert.equal((await cliLogin(ws, name, 'alice')).code, 0);
    const host = new URL(rig().harbor.url).host;
    const config = dockerConfigJson(ws);
    assert.deepEqual(config.credHelpers, { [host]: 'berth' }, 'the sign-in used the target chosen before it');
    assert.equal((config.auths as Record<string, unknown> | undefined)?.[host], undefined);
    assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0, 'docker reads the image through the helper');
    assertNoSecretsLeaked(rig(), ws);
  });

  test('changing the credential target in the settings moves every Harbor registry there at once', async () => {
    const other = await startRig();
    try {
      await other.webLogin('alice');
      const ws = workspace();
      helperOnPath(ws);
      const rigs = [rig(), other];
      const hosts = rigs.map((each) => new URL(each.harbor.url).host);
      for (const each of rigs) {
        const name = uniqueName('alice');
        assert.equal((await ws.berth(...addArgs(each, name))).code, 0);
        const login = await cliLogin(ws, name, 'alice', join(ws.home, `${name}-cookies.json`));
        assert.equal(login.code, 0, login.stderr);
      }
      const api = createNodeApi(ws.env);

      await api.updatePreferences({ target: 'helper' });
      const config = dockerConfigJson(ws);
      assert.deepEqual(config.credHelpers, Object.fromEntries(hosts.map((host) => [host, 'berth'])));
      for (const host of hosts) assert.equal((config.auths as Record<string, unknown>)[host], undefined, `no plaintext entry for ${host}`);
      assert.deepEqual(api.listRegistries().map((view) => view.target), ['helper', 'helper']);
      for (const each of rigs) assert.equal((await dockerInspect(ws, each.imageRef)).code, 0, `docker reads ${each.imageRef} through the helper`);

      await api.updatePreferences({ target: 'config' });
      const back = dockerConfigJson(ws);
      assert.deepEqual(back.credHelpers ?? {}, {});
      for (const [i, host] of hosts.entries()) {
        const entry = (back.auths as Record<string, { auth: string }>)[host];
        assert.equal(Buffer.from(entry?.auth ?? '', 'base64').toString(), `alice:${rigs[i]?.harbor.user('alice')?.secret}`);
      }
      for (const each of rigs) assertNoSecretsLeaked(each, ws);
    } finally {
      await other.stop();
    }
  });
});
