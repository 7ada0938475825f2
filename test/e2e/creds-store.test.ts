import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { unless } from '../rig/components.js';
import { useRig } from '../helpers/rig.js';
import { addArgs, assertNoSecretsLeaked, browserCommand, dockerConfigJson, dockerInspect, run, uniqueName, workspace } from '../helpers/berth.js';

describe('docker configured with "credsStore": "secretservice"', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring', 'secretservice-helper') }, () => {
  const rig = useRig({}, 'alice');

  test('the secret goes to the helper, config.json holds {} for the host, and docker still reads the image', async () => {
    const ws = workspace();
    const name = uniqueName();
    const host = new URL(rig().harbor.url).host;
    mkdirSync(ws.dockerConfig, { recursive: true });
    writeFileSync(join(ws.dockerConfig, 'config.json'), JSON.stringify({ credsStore: 'secretservice', currentContext: 'default', 'x-kept': { a: 1 } }, null, '\t'));

    assert.equal((await ws.berth(...addArgs(rig(), name))).code, 0);
    const login = await ws.berth('login', name, '--browser-command', browserCommand('--login', 'alice'), '--timeout', '30');
    assert.equal(login.code, 0, login.stderr);

    const config = dockerConfigJson(ws);
    assert.deepEqual((config.auths as Record<string, unknown>)[host], {}, 'docker keeps an empty entry for the host');
    assert.equal(config.credsStore, 'secretservice');
    assert.deepEqual(config['x-kept'], { a: 1 });
    assert.ok(!JSON.stringify(config).includes(rig().harbor.user('alice')?.secret as string), 'no secret in config.json');

    const stored = await run('docker-credential-secretservice', ['get'], ws.env, host);
    assert.equal(stored.code, 0, stored.stdout);
    assert.deepEqual(JSON.parse(stored.stdout), { ServerURL: host, Username: 'alice', Secret: rig().harbor.user('alice')?.secret });

    const docker = await dockerInspect(ws, rig().imageRef);
    assert.equal(docker.code, 0, docker.stderr);

    const logout = await ws.berth('logout', name);
    assert.equal(logout.code, 0, logout.stderr);
    assert.match((await run('docker-credential-secretservice', ['get'], ws.env, host)).stdout, /credentials not found/);
    assert.equal((dockerConfigJson(ws).auths as Record<string, unknown>)[host], undefined);
    assert.notEqual((await dockerInspect(ws, rig().imageRef)).code, 0);
    assertNoSecretsLeaked(rig(), ws);
  });
});
