import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { unless } from '../rig/components.js';
import { useRig } from '../helpers/rig.js';
import { addArgs, assertNoSecretsLeaked, cliLogin, dockerConfigJson, dockerInspect, run, signedIn, skopeoInspect, storedSecret, storedStatus, uniqueName, workspace, type Workspace } from '../helpers/berth.js';

function configuredSecret(ws: Workspace, host: string): string {
  const auths = dockerConfigJson(ws).auths as Record<string, { auth?: string }>;
  return Buffer.from(auths[host]?.auth ?? '', 'base64').toString().split(':').slice(1).join(':');
}

/**
 * A docker credential store that fails while `broken` exists, and otherwise keeps credentials in a folder: what a full
 * disk, a locked store or a crash looks like to the one write that comes after Harbor took a new secret.
 */
function flakyStore(ws: Workspace): { broken: string } {
  const bin = join(ws.home, 'bin');
  const store = join(ws.home, 'flaky-store');
  const broken = join(ws.home, 'store-is-broken');
  mkdirSync(bin, { recursive: true });
  mkdirSync(store, { recursive: true });
  const script = join(bin, 'docker-credential-flaky');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      `[ -e '${broken}' ] && { echo "the store is full" ; exit 1; }`,
      'input=$(cat)',
      `key=$(printf '%s' "$input" | sed -n 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/p' | tr -c 'a-zA-Z0-9.' _)`,
      'case "$1" in',
      `  store) printf '%s' "$input" > '${store}'/"$key" ;;`,
      `  get) key=$(printf '%s' "$input" | tr -c 'a-zA-Z0-9.' _); if [ -f '${store}'/"$key" ]; then cat '${store}'/"$key"; else echo "credentials not found in native keychain"; exit 1; fi ;;`,
      `  erase) key=$(printf '%s' "$input" | tr -c 'a-zA-Z0-9.' _); rm -f '${store}'/"$key" ;;`,
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  ws.env.PATH = `${bin}:${ws.env.PATH ?? ''}`;
  return { broken };
}

describe('refresh puts the secret Harbor accepts back wherever another one ended up', { skip: unless('docker-registry', 'docker', 'skopeo', 'openssl', 'keyring') }, () => {
  const rig = useRig({}, 'alice', 'bob', 'carol');
  const host = () => new URL(rig().harbor.url).host;

  test('regenerate whose last write fails: docker keeps the dead secret until the next refresh finishes the job (the journal)', async () => {
    const ws = workspace();
    const name = uniqueName('alice');
    const { broken } = flakyStore(ws);
    mkdirSync(ws.dockerConfig, { recursive: true });
    writeFileSync(join(ws.dockerConfig, 'config.json'), JSON.stringify({ credsStore: 'flaky' }));
    assert.equal((await ws.berth(...addArgs(rig(), name))).code, 0);
    assert.equal((await cliLogin(ws, name, 'alice')).code, 0);
    assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0);

    writeFileSync(broken, '');
    const regenerate = await ws.berth('regenerate', name, '--yes');
    assert.equal(regenerate.code, 1);
    assert.match(regenerate.stderr, /Harbor has the new CLI secret of alice, but Berth could not put it in place: .*the store is full/);
    assert.notEqual((await dockerInspect(ws, rig().imageRef)).code, 0, 'docker holds the old, dead secret');
    assert.equal(await storedSecret(ws, name, 'pending-cli-secret'), rig().harbor.user('alice')?.secret, 'the journal holds the secret Harbor now has');

    rmSync(broken);
    const refresh = await ws.berth('refresh', name, '--json');
    assert.equal(refresh.code, 0, refresh.stdout + refresh.stderr);
    assert.equal((JSON.parse(refresh.stdout) as { state: string }[])[0]?.state, 'valid');
    const docker = await dockerInspect(ws, rig().imageRef);
    assert.equal(docker.code, 0, `valid means docker's credential works: ${docker.stderr}`);
    assert.equal(await storedSecret(ws, name, 'pending-cli-secret'), null, 'the journal is closed');
    assertNoSecretsLeaked(rig(), ws);
  });

  test('a docker login with a dead secret over Berth’s entry, and a stale podman file: refresh says which it rewrote, and both work again', async () => {
    const { ws, name } = await signedIn(rig(), 'bob');
    const secret = configuredSecret(ws, host());
    const podman = join(ws.home, 'auth.json');
    ws.env.REGISTRY_AUTH_FILE = podman;
    writeFileSync(podman, JSON.stringify({ auths: { [host()]: { auth: Buffer.from('bob:an-old-secret').toString('base64') } } }));
    // What `docker login <host>` with an old secret from a password manager does.
    const login = await run('docker', ['login', host(), '-u', 'bob', '--password-stdin'], ws.env, 'Another1Secret');
    assert.notEqual(login.code, 0, 'docker checks the secret, and Harbor rejects it');
    const config = dockerConfigJson(ws);
    (config.auths as Record<string, unknown>)[host()] = { auth: Buffer.from('bob:Another1Secret').toString('base64') };
    writeFileSync(join(ws.dockerConfig, 'config.json'), JSON.stringify(config));
    assert.notEqual((await dockerInspect(ws, rig().imageRef)).code, 0);

    const refresh = await ws.berth('refresh', name);
    assert.equal(refresh.code, 0, refresh.stderr);
    assert.match(refresh.stderr, new RegExp(`${name}: rewrote .*config\\.json, .*auth\\.json, which held another secret than the one Harbor accepts`));
    assert.equal(configuredSecret(ws, host()), secret);
    assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0);
    assert.equal((await skopeoInspect(ws, rig().imageRef)).code, 0, 'podman/skopeo’s own file works too');
    assert.equal(storedStatus(ws, name).state, 'valid');

    const again = await ws.berth('refresh', name);
    assert.doesNotMatch(again.stderr, /rewrote/, 'nothing to rewrite when everything agrees');
    assertNoSecretsLeaked(rig(), ws);
  });

  test('a target Berth cannot rewrite keeps the registry from showing valid', async () => {
    const { ws, name } = await signedIn(rig(), 'carol');
    const config = join(ws.dockerConfig, 'config.json');
    const stale = dockerConfigJson(ws);
    (stale.auths as Record<string, unknown>)[host()] = { auth: Buffer.from('carol:Stale1Secret').toString('base64') };
    writeFileSync(config, JSON.stringify(stale));
    // A config.json that cannot be replaced: its folder is not a folder Berth can write a temp file into.
    const elsewhere = join(ws.home, 'docker-ro');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'config.json'), JSON.stringify(stale));
    writeFileSync(join(elsewhere, '.config.json.berth.lock'), JSON.stringify({ pid: 1, host: (await import('node:os')).hostname(), id: 'init' }));
    ws.env.DOCKER_CONFIG = elsewhere;
    const refresh = await ws.berth('refresh', name, '--json');
    assert.equal(refresh.code, 1);
    const status = (JSON.parse(refresh.stdout) as { state: string; lastError: string }[])[0];
    assert.notEqual(status?.state, 'valid');
    assert.match(status?.lastError ?? '', /config\.json still holds another secret for .* than the one Harbor accepts, and Berth could not rewrite it/);
    assert.ok(existsSync(join(elsewhere, 'config.json')));
  });
});
