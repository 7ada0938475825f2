import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import keytar from 'keytar';
import { keychainService, secretAccount } from '../../main/secrets/keychain.js';
import { openStores } from '../../main/settings/node-stores.js';
import { secretsFile } from '../../main/settings/paths.js';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { addArgs, assertNoSecretsLeaked, cliLogin, dockerConfigJson, dockerInspect, helperOnPath, projectRoot, run, storedSecret, uniqueName, workspace, type Workspace } from '../helpers/berth.js';

/** A server, WSL or an SSH session: no D-Bus session at all, so no Secret Service can answer. */
function withoutSessionBus(): Workspace {
  const ws = workspace();
  delete ws.env.DBUS_SESSION_BUS_ADDRESS;
  return ws;
}

function basicSecret(ws: Workspace, host: string): string | undefined {
  if (!existsSync(join(ws.dockerConfig, 'config.json'))) return undefined;
  const auth = (dockerConfigJson(ws).auths as Record<string, { auth?: string }> | undefined)?.[host]?.auth;
  return auth ? Buffer.from(auth, 'base64').toString().split(':')[1] : undefined;
}

describe('no keyring at all: what needs no secret works, and the explicit file store does the rest', { skip: unless('docker-registry', 'docker', 'openssl') }, () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
    await Promise.all([rig.webLogin('sam'), rig.webLogin('olga')]);
  });
  after(() => rig?.stop());

  test('add, list, status, doctor and remove work without a keyring; login says so, names the file store, and stores nothing', async () => {
    const ws = withoutSessionBus();
    const name = uniqueName('web');
    assert.equal((await ws.berth('add', 'harbor', name, '--url', rig.harbor.url)).code, 0);
    assert.equal((await ws.berth('list')).code, 0);
    const status = await ws.berth('status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /secrets: in the OS keychain, but none can answer here \(no D-Bus session\): `berth config secret-store file` keeps them in a file instead/);

    const doctor = await ws.berth('doctor');
    assert.equal(doctor.code, 1);
    assert.match(doctor.stdout, /PROBLEM {2}keychain: Cannot use the OS keychain: No keyring can answer: this session has no D-Bus \(DBUS_SESSION_BUS_ADDRESS is not set\)/);
    assert.match(doctor.stdout, /fix: .*`berth config secret-store file`.*dbus-run-session/);
    assert.doesNotMatch(doctor.stdout, /gnome-keyring-daemon --start/, 'not a fix that cannot work without a session bus');

    const secret = rig.harbor.user('sam')?.secret as string;
    const login = await ws.berthWithInput(`${secret}\n`, 'login', name, '--username', 'sam', '--secret-stdin');
    assert.equal(login.code, 1);
    assert.match(login.stderr, /No keyring can answer.*`berth config secret-store file` \(or BERTH_SECRET_STORE=file\)/);
    assert.equal(basicSecret(ws, new URL(rig.harbor.url).host), undefined, 'nothing written for docker');
    assert.ok(!existsSync(secretsFile(ws.berthHome)), 'no file store made behind the user’s back');

    // Signed in where a keyring was (status says so), then used where none is: the helper's answer, which docker pull prints, says why and names the file store.
    helperOnPath(ws);
    assert.equal((await ws.berth('target', name, 'helper')).code, 0);
    const host = new URL(rig.harbor.url).host;
    writeFileSync(join(ws.berthHome, 'status.json'), JSON.stringify({ registries: { [name]: { state: 'valid', username: 'sam', signedInAt: new Date().toISOString() } } }));
    const got = await run('docker-credential-berth', ['get'], ws.env, host);
    assert.equal(got.code, 1);
    assert.match(got.stdout, /^docker-credential-berth: No keyring can answer: this session has no D-Bus .*`berth config secret-store file` \(or BERTH_SECRET_STORE=file\)/);
    writeFileSync(join(ws.berthHome, 'status.json'), JSON.stringify({ registries: {} }));

    const removed = await ws.berth('remove', name);
    assert.equal(removed.code, 0, removed.stderr);
  });

  test('with the file store: sign-in (web and Berth’s own client), keep-alive, regenerate and the credential helper, from a 0600 file in a 0700 folder', async () => {
    const ws = withoutSessionBus();
    const chosen = await ws.berth('config', 'secret-store', 'file');
    assert.equal(chosen.code, 0, chosen.stderr);
    assert.match(chosen.stdout, /Secrets are kept in .*secrets\.json from now on: readable by you alone \(0600\)/);
    assert.equal((JSON.parse(readFileSync(join(ws.berthHome, 'settings.json'), 'utf8')) as { preferences: { secretStore: string } }).preferences.secretStore, 'file');

    // Harbor's web login, with the CLI secret pasted.
    const web = uniqueName('web');
    assert.equal((await ws.berth('add', 'harbor', web, '--url', rig.harbor.url)).code, 0);
    const pasted = await ws.berthWithInput(`${rig.harbor.user('sam')?.secret as string}\n`, 'login', web, '--username', 'sam', '--secret-stdin');
    assert.equal(pasted.code, 0, pasted.stderr);
    assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0, 'docker reads the image');
    const store = secretsFile(ws.berthHome);
    assert.equal(statSync(store).mode & 0o777, 0o600);
    assert.equal(statSync(dirname(store)).mode & 0o777, 0o700);
    assert.match((await ws.berth('status', web)).stdout, new RegExp(`secrets: in ${store.replace(/[.]/g, '\\.')}`));

    // Berth's own client: its refresh token lives in the file too; keep-alive and regenerate use it.
    const own = uniqueName('own');
    // The same Harbor by another name: Berth keeps one registry per host.
    assert.equal((await ws.berth(...addArgs(rig, own).map((arg) => (arg === rig.harbor.url ? rig.harbor.url.replace('127.0.0.1', 'localhost') : arg)))).code, 0);
    const login = await cliLogin(ws, own, 'olga');
    assert.equal(login.code, 0, login.stderr);
    assert.equal((await ws.berth('refresh', own)).code, 0, 'a keep-alive pass with the refresh token from the file');
    const { status: stored } = openStores(ws.berthHome);
    // The last pass a day ago, the next one due a minute ago.
    stored.put(own, { ...stored.get(own), lastKeptAliveAt: new Date(Date.now() - 86_400_000).toISOString(), nextKeepAliveAt: new Date(Date.now() - 60_000).toISOString() });
    const kept = await ws.berth('keepalive', '--once');
    assert.equal(kept.code, 0, kept.stdout + kept.stderr);
    assert.match(kept.stdout, new RegExp(`  ${own}  valid  `), 'berth keepalive --once runs the due pass with the file store');
    const before = rig.harbor.user('olga')?.secret;
    const regenerated = await ws.berth('regenerate', own, '--yes');
    assert.equal(regenerated.code, 0, regenerated.stderr);
    assert.notEqual(rig.harbor.user('olga')?.secret, before);
    assert.equal(basicSecret(ws, `localhost:${new URL(rig.harbor.url).port}`), rig.harbor.user('olga')?.secret, 'docker has the new secret');

    // The credential helper reads the file store too.
    helperOnPath(ws);
    assert.equal((await ws.berth('target', web, 'helper')).code, 0);
    const host = new URL(rig.harbor.url).host;
    const got = await run('docker-credential-berth', ['get'], ws.env, host);
    assert.equal(got.code, 0, got.stdout);
    assert.equal((JSON.parse(got.stdout) as { Secret: string }).Secret, rig.harbor.user('sam')?.secret);
    assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0, 'docker reads the image through the helper');

    const doctor = await ws.berth('doctor');
    assert.match(doctor.stdout, /ok {7}keychain: Secrets are in the file .*secrets\.json \(berth config secret-store file\), readable by you alone/);
    assertNoSecretsLeaked(rig, ws);
  });

  test('moving to the file store and back takes every secret along and leaves none behind', { skip: unless('keyring') }, async () => {
    const ws = workspace();
    const name = uniqueName('mover');
    assert.equal((await ws.berth(...addArgs(rig, name))).code, 0);
    assert.equal((await cliLogin(ws, name, 'olga')).code, 0);
    const inKeychain = await storedSecret(ws, name, 'refresh-token');
    assert.ok(inKeychain);
    // What an interrupted move left of a registry removed since (removing clears the chosen store only), and another home's entry of that name.
    const leftBehind = secretAccount(ws.berthHome, 'removed-since', 'token');
    const otherHome = secretAccount(join(ws.home, 'another-berth-home'), 'removed-since', 'token');
    await keytar.setPassword(keychainService, leftBehind, 'left behind');
    await keytar.setPassword(keychainService, otherHome, 'not this home’s');

    const toFile = await ws.berth('config', 'secret-store', 'file', '--json');
    assert.equal(toFile.code, 0, toFile.stderr);
    assert.deepEqual(JSON.parse(toFile.stdout), { store: 'file', moved: [name], warnings: [] });
    assert.equal(await storedSecret(ws, name, 'refresh-token'), null, 'nothing left in the keychain');
    assert.equal(await storedSecret(ws, name, 'cli-secret'), null);
    assert.equal(await keytar.getPassword(keychainService, leftBehind), null, 'nor what no registry names any more');
    assert.equal(await keytar.getPassword(keychainService, otherHome), 'not this home’s', 'another Berth home keeps its own');
    await keytar.deletePassword(keychainService, otherHome);
    assert.equal((await ws.berth('refresh', name)).code, 0, 'the next pass finds its session in the file');

    const back = await ws.berth('config', 'secret-store', 'keychain', '--json');
    assert.deepEqual(JSON.parse(back.stdout), { store: 'keychain', moved: [name], warnings: [] });
    assert.deepEqual(JSON.parse(readFileSync(secretsFile(ws.berthHome), 'utf8')), {}, 'the file keeps nothing');
    assert.ok(await storedSecret(ws, name, 'refresh-token'));
    assert.equal((await ws.berth('refresh', name)).code, 0);

    const overridden = await run(process.execPath, [join(projectRoot, 'bin', 'berth.js'), 'config', 'secret-store', 'file'], { ...ws.env, BERTH_SECRET_STORE: 'keychain' });
    assert.equal(overridden.code, 64);
    assert.match(overridden.stderr, /BERTH_SECRET_STORE decides where secrets are kept \(now: keychain\); change or unset it instead/);
    assertNoSecretsLeaked(rig, ws);
  });

  test('signed in with the keychain, then moved to the file store where the keychain cannot answer: needs-sign-in, saying why, until one sign-in', { skip: unless('keyring') }, async () => {
    const ws = workspace();
    const name = uniqueName('ssh');
    assert.equal((await ws.berth(...addArgs(rig, name))).code, 0);
    assert.equal((await cliLogin(ws, name, 'olga')).code, 0);
    // The same home over SSH: no D-Bus session, so the keychain that holds the secrets cannot be read.
    delete ws.env.DBUS_SESSION_BUS_ADDRESS;

    const moved = await ws.berth('config', 'secret-store', 'file', '--json');
    const { store, warnings } = JSON.parse(moved.stdout) as { store: string; warnings: string[] };
    assert.equal(store, 'file');
    assert.match(warnings.join(' '), new RegExp(`The secrets of ${name} could not be moved \\(No keyring can answer`));
    const shown = async () => (JSON.parse((await ws.berth('status', name, '--json')).stdout) as { state: string; lastError: string | null }[])[0];
    const status = await shown();
    assert.equal(status?.state, 'needs-sign-in', 'the file holds no secret of it: not "keychain-locked", whose fix is the file store just chosen');
    assert.equal(status?.lastError, `Its secrets stayed in the keychain, which Berth could not read: sign in again (\`berth login ${name}\`) to keep them in the file.`);
    assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0, "docker's own copy is untouched meanwhile: only Berth cannot keep it alive");

    assert.equal((await cliLogin(ws, name, 'olga')).code, 0);
    assert.equal((await shown())?.state, 'valid');
    assert.ok((JSON.parse(readFileSync(secretsFile(ws.berthHome), 'utf8')) as Record<string, string>)[`${name}/refresh-token`], 'the new sign-in is kept in the file');
    assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0);
    assertNoSecretsLeaked(rig, ws);
  });
});
