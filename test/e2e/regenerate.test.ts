import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { adminPassword } from '../rig/harbor-double.js';
import { unless } from '../rig/components.js';
import { useRig } from '../helpers/rig.js';
import { addArgs, assertNoSecretsLeaked, cliLogin, dockerConfigJson, dockerInspect, run, signedIn, skopeoInspect, storedSecret, type Workspace, uniqueName, workspace } from '../helpers/berth.js';

function configuredSecret(ws: Workspace, host: string): string {
  const auths = dockerConfigJson(ws).auths as Record<string, { auth?: string }>;
  return Buffer.from(auths[host]?.auth ?? '', 'base64').toString().split(':')[1] ?? '';
}

/** A docker config folder that holds exactly these credentials, as another machine or a CI job would. */
function elsewhere(host: string, username: string, secret: string): Workspace {
  const ws = workspace();
  mkdirSync(ws.dockerConfig, { recursive: true });
  writeFileSync(join(ws.dockerConfig, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${username}:${secret}`).toString('base64') } } }));
  return ws;
}

describe('regenerating the CLI secret', { skip: unless('docker-registry', 'docker', 'skopeo', 'openssl', 'keyring', 'secretservice-helper') }, () => {
  const rig = useRig({}, 'alice', 'erin');
  const host = () => new URL(rig().harbor.url).host;

  test('a new secret replaces the old one in Harbor, the keychain and config.json; the old one stops working', async () => {
    const { ws, name } = await signedIn(rig(), 'alice');
    const oldSecret = configuredSecret(ws, host());

    const unconfirmed = await ws.berth('regenerate', name);
    assert.equal(unconfirmed.code, 64, 'without a terminal to ask on, --yes is required');
    assert.match(unconfirmed.stderr, /pass --yes/);
    assert.equal(rig().harbor.user('alice')?.secret, oldSecret, 'nothing changed without confirmation');

    const regenerated = await ws.berth('regenerate', name, '--yes', '--json');
    assert.equal(regenerated.code, 0, regenerated.stderr);
    assert.match(regenerated.stderr, /has a new CLI secret; Harbor accepts it/);
    const newSecret = rig().harbor.user('alice')?.secret as string;
    assert.notEqual(newSecret, oldSecret);
    assert.match(newSecret, /^[A-Za-z0-9]{32}$/);
    assert.equal(configuredSecret(ws, host()), newSecret, 'config.json holds the new secret');
    assert.equal(await storedSecret(ws, name, 'cli-secret'), newSecret);
    assert.equal((JSON.parse(regenerated.stdout) as { state: string }).state, 'valid');

    const docker = await dockerInspect(ws, rig().imageRef);
    assert.equal(docker.code, 0, docker.stderr);
    const stale = elsewhere(host(), 'alice', oldSecret);
    const rejected = await dockerInspect(stale, rig().imageRef);
    assert.notEqual(rejected.code, 0, 'the old secret no longer works anywhere');
    assert.match(rejected.stderr, /unauthorized/i);
    assert.notEqual((await skopeoInspect(stale, rig().imageRef)).code, 0);
    assertNoSecretsLeaked(rig(), ws);
  });

  test('a secret changed in Harbor by someone else is picked up by the next pass', async () => {
    const { ws, name } = await signedIn(rig(), 'alice');
    const user = rig().harbor.user('alice');
    const changed = 'Changed1ByHarborUi';
    // What Harbor's UI (or an administrator) does: PUT users/{id}/cli_secret.
    const response = await fetch(`${rig().harbor.url}/api/v2.0/users/${user?.userId}/cli_secret`, {
      method: 'PUT',
      headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ secret: changed }),
    });
    assert.equal(response.status, 200);
    assert.notEqual((await dockerInspect(ws, rig().imageRef)).code, 0, 'the secret Berth wrote is dead now');

    const refresh = await ws.berth('refresh', name, '--json');
    assert.equal(refresh.code, 0, refresh.stderr);
    assert.equal((JSON.parse(refresh.stdout) as { state: string }[])[0]?.state, 'valid');
    assert.equal(configuredSecret(ws, host()), changed);
    assert.equal(await storedSecret(ws, name, 'cli-secret'), changed);
    const docker = await dockerInspect(ws, rig().imageRef);
    assert.equal(docker.code, 0, docker.stderr);
    assertNoSecretsLeaked(rig(), ws);
  });

  test('with docker’s credsStore, the helper gets the new secret and config.json still holds none', async () => {
    const ws = workspace();
    const name = uniqueName();
    mkdirSync(ws.dockerConfig, { recursive: true });
    writeFileSync(join(ws.dockerConfig, 'config.json'), JSON.stringify({ credsStore: 'secretservice' }));
    assert.equal((await ws.berth(...addArgs(rig(), name))).code, 0);
    assert.equal((await cliLogin(ws, name, 'erin')).code, 0);
    const regenerated = await ws.berth('regenerate', name, '--yes');
    assert.equal(regenerated.code, 0, regenerated.stderr);
    const newSecret = rig().harbor.user('erin')?.secret as string;
    const stored = await run('docker-credential-secretservice', ['get'], ws.env, host());
    assert.deepEqual(JSON.parse(stored.stdout), { ServerURL: host(), Username: 'erin', Secret: newSecret });
    assert.ok(!JSON.stringify(dockerConfigJson(ws)).includes(newSecret), 'no secret in config.json');
    const docker = await dockerInspect(ws, rig().imageRef);
    assert.equal(docker.code, 0, docker.stderr);
    assert.equal((await ws.berth('logout', name)).code, 0);
    assertNoSecretsLeaked(rig(), ws);
  });
});
