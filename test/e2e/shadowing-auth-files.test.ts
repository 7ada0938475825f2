import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { unless } from '../rig/components.js';
import { useRig } from '../helpers/rig.js';
import { addArgs, assertNoSecretsLeaked, cliLogin, helperOnPath, skopeoInspect, uniqueName, workspace } from '../helpers/berth.js';

type AuthFile = { auths?: Record<string, { auth?: string; email?: string }>; credHelpers?: Record<string, string> };

const basic = (user: string, secret: string) => Buffer.from(`${user}:${secret}`).toString('base64');

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as AuthFile;

describe('podman and helm auth files that shadow docker config.json', { skip: unless('docker-registry', 'skopeo', 'openssl', 'keyring') }, () => {
  const rig = useRig({}, 'alice');

  test('a stale entry for a managed host is updated (and follows regenerate, the helper target and logout); other files are not touched or created', async () => {
    const ws = workspace();
    helperOnPath(ws);
    const runtimeDir = join(ws.home, 'run');
    Object.assign(ws.env, { HOME: ws.home, XDG_CONFIG_HOME: '', XDG_RUNTIME_DIR: runtimeDir, HELM_CONFIG_HOME: '', HELM_REGISTRY_CONFIG: '' });
    const host = new URL(rig().harbor.url).host;
    const podman = join(runtimeDir, 'containers', 'auth.json');
    const helm = join(ws.home, '.config', 'helm', 'registry', 'config.json');
    const unrelated = join(ws.home, '.config', 'containers', 'auth.json');
    const elsewhere = { auths: { 'other.example.org': { auth: basic('carol', 'carols-token') } } };
    writeJson(podman, { auths: { [host]: { auth: basic('alice', 'stale-secret'), email: 'kept@example.org' }, [`${host}/private`]: { auth: basic('robot$ci', 'robot-token') }, ...elsewhere.auths } });
    writeJson(helm, { auths: { [`https://${host}`]: { auth: basic('alice', 'stale-secret') } } });
    writeJson(unrelated, elsewhere);
    const untouched = { text: readFileSync(unrelated, 'utf8'), mtime: statSync(unrelated).mtimeMs };
    assert.notEqual((await skopeoInspect(ws, rig().imageRef)).code, 0, 'skopeo reads the stale entry in the runtime auth.json first');

    const name = uniqueName('alice');
    assert.equal((await ws.berth(...addArgs(rig(), name))).code, 0);
    const login = await cliLogin(ws, name, 'alice');
    assert.equal(login.code, 0, login.stderr);
    const secret = () => rig().harbor.user('alice')?.secret as string;
    const podmanAfter = readJson(podman);
    assert.deepEqual(podmanAfter.auths?.[host], { auth: basic('alice', secret()), email: 'kept@example.org' }, 'updated, with other fields kept');
    assert.deepEqual(podmanAfter.auths?.[`${host}/private`], { auth: basic('robot$ci', 'robot-token') }, 'a repository-scoped entry is deliberate and stays');
    assert.deepEqual(podmanAfter.auths?.['other.example.org'], elsewhere.auths['other.example.org']);
    assert.deepEqual(readJson(helm).auths, { [`https://${host}`]: { auth: basic('alice', secret()) } }, 'updated under the key the file used');
    assert.deepEqual({ text: readFileSync(unrelated, 'utf8'), mtime: statSync(unrelated).mtimeMs }, untouched, 'a file without an entry for the host is not touched');
    assert.equal(statSync(podman).mode & 0o777, 0o600, 'the file keeps its mode');
    assert.equal((await skopeoInspect(ws, rig().imageRef)).code, 0, 'skopeo works with the updated runtime auth.json');

    assert.equal((await ws.berth('regenerate', name, '--yes')).code, 0);
    assert.equal(readJson(podman).auths?.[host]?.auth, basic('alice', secret()), 'a regenerated secret reaches the shadowing file');

    assert.equal((await ws.berth('target', name, 'helper')).code, 0);
    const viaHelper = readJson(podman);
    assert.equal(viaHelper.credHelpers?.[host], 'berth');
    assert.equal(viaHelper.auths?.[host], undefined, 'no plaintext secret stays with target helper');
    assert.equal((await skopeoInspect(ws, rig().imageRef)).code, 0, 'skopeo asks docker-credential-berth');

    assert.equal((await ws.berth('logout', name)).code, 0);
    const afterLogout = readJson(podman);
    assert.equal(afterLogout.credHelpers?.[host], undefined);
    assert.deepEqual(Object.keys(afterLogout.auths ?? {}).sort(), [`${host}/private`, 'other.example.org']);
    assert.deepEqual(readJson(helm).auths, {});
    assert.deepEqual(readFileSync(unrelated, 'utf8'), untouched.text);
    assertNoSecretsLeaked(rig(), ws);
  });

  test('without shadowing files, signing in creates none', async () => {
    const ws = workspace();
    Object.assign(ws.env, { HOME: ws.home, XDG_CONFIG_HOME: '', XDG_RUNTIME_DIR: join(ws.home, 'run'), HELM_CONFIG_HOME: '', HELM_REGISTRY_CONFIG: '' });
    const name = uniqueName('alice');
    assert.equal((await ws.berth(...addArgs(rig(), name))).code, 0);
    assert.equal((await cliLogin(ws, name, 'alice')).code, 0);
    for (const path of [join(ws.home, 'run'), join(ws.home, '.config', 'containers'), join(ws.home, '.config', 'helm')]) assert.equal(existsSync(path), false, `${path} was created`);
  });
});
