import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import keytar from 'keytar';
import { createNodeApi } from '../../main/api/node.js';
import { runCli } from '../../main/cli/berth.js';
import { keychainService, secretAccount } from '../../main/secrets/keychain.js';
import { openStores } from '../../main/settings/node-stores.js';
import { unless } from '../rig/components.js';
import { literally } from '../helpers/pattern.js';
import { useRig } from '../helpers/rig.js';
import { addArgs, assertNoSecretsLeaked, cliLogin, dockerConfigJson, dockerInspect, killedRegenerate, projectRoot, run, signedIn, skopeoInspect, storedSecret, storedStatus, uniqueName, waitFor, workspace, type Workspace } from '../helpers/berth.js';

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
  const rig = useRig({}, 'alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'hank', 'ivy');
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
    assert.equal(storedStatus(ws, name).state, 'error', 'docker holds a dead secret: not valid');
    assert.ok(storedStatus(ws, name).pendingSecretSince, 'the journal is open where every reader sees it');

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

  for (const [reader, user] of [
    ['docker-credential-berth get', 'dave'],
    ['berth check', 'erin'],
    ['berth status', 'frank'],
  ] as const) {
    test(`a regenerate killed right after Harbor took the new secret: the next ${reader} puts it in place first`, async () => {
      const { ws, name } = await signedIn(rig(), user);
      if (reader === 'docker-credential-berth get') assert.equal((await ws.berth('target', name, 'helper')).code, 0);
      const old = await storedSecret(ws, name, 'cli-secret');
      const harborHas = await killedRegenerate(ws, rig(), name);
      assert.notEqual(harborHas, old, 'Harbor took a new secret');
      assert.equal(await storedSecret(ws, name, 'pending-cli-secret'), harborHas, 'the journal holds it');
      assert.equal(await storedSecret(ws, name, 'cli-secret'), old, 'nothing else has it yet');

      if (reader === 'docker-credential-berth get') {
        const got = await run(process.execPath, [join(projectRoot, 'bin', 'docker-credential-berth.js'), 'get'], ws.env, host());
        assert.equal(got.code, 0, got.stdout);
        assert.equal((JSON.parse(got.stdout) as { Secret: string }).Secret, harborHas, 'docker is handed the secret Harbor has');
      } else if (reader === 'berth check') {
        const check = await ws.berth('check', rig().imageRef, '--json');
        assert.equal((JSON.parse(check.stdout) as { verdict: string }).verdict, 'will-work', check.stdout);
      } else {
        const status = await ws.berth('status', name, '--json');
        assert.equal((JSON.parse(status.stdout) as { state: string }[])[0]?.state, 'valid', status.stdout);
      }
      assert.equal(await storedSecret(ws, name, 'pending-cli-secret'), null, 'the journal is closed');
      assert.equal(storedStatus(ws, name).pendingSecretSince, undefined);
      assert.equal(await storedSecret(ws, name, 'cli-secret'), harborHas);
      if (reader !== 'docker-credential-berth get') assert.equal(configuredSecret(ws, host()), harborHas, "docker's config holds it");
      assertNoSecretsLeaked(rig(), ws);
    });
  }

  test('Harbor’s session dead when the journal is settled (it rejects every secret): the new secret is kept, said, and put in place once Harbor accepts it again', async () => {
    const ws = workspace();
    const name = uniqueName('gina');
    assert.equal((await ws.berth('add', 'harbor', name, '--url', rig().harbor.url)).code, 0);
    const pasted = await ws.berthWithInput(rig().harbor.user('gina')?.secret as string, 'login', name, '--username', 'gina', '--secret-stdin');
    assert.equal(pasted.code, 0, pasted.stderr);
    const old = await storedSecret(ws, name, 'cli-secret');
    // What a regenerate in Berth's app leaves when killed after Harbor took the secret: the journal open, Harbor changed.
    const fresh = 'Regenerated1Secret';
    const harborUser = rig().harbor.user('gina') as { secret: string };
    harborUser.secret = fresh;
    rig().harbor.secretsSeen.add(fresh);
    await keytar.setPassword(keychainService, secretAccount(ws.berthHome, name, 'pending-cli-secret'), fresh);
    const { status } = openStores(ws.berthHome);
    status.put(name, { ...status.get(name), pendingSecretSince: new Date().toISOString() });
    rig().harbor.expireSession('gina');

    for (const command of [['refresh', name, '--json'], ['status', name, '--json']]) {
      const shown = await ws.berth(...command);
      const [view] = JSON.parse(shown.stdout) as { state: string; lastError: string }[];
      assert.equal(view?.state, 'needs-web-login', shown.stdout);
      assert.match(view?.lastError ?? '', /A new CLI secret from an interrupted `berth regenerate` is kept, and Berth puts it in place as soon as Harbor accepts it\./);
      assert.equal(await storedSecret(ws, name, 'pending-cli-secret'), fresh, `kept by ${command[0]}: for Harbor's web login it is the only copy`);
      assert.equal(await storedSecret(ws, name, 'cli-secret'), old);
    }

    await rig().webLogin('gina');
    const refresh = await ws.berth('refresh', name, '--json');
    assert.equal((JSON.parse(refresh.stdout) as { state: string }[])[0]?.state, 'valid', refresh.stdout);
    assert.equal(configuredSecret(ws, host()), fresh, 'docker holds the secret Harbor has');
    assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0);
    assert.equal(await storedSecret(ws, name, 'pending-cli-secret'), null);
    assert.equal(storedStatus(ws, name).pendingSecretSince, undefined);
    assertNoSecretsLeaked(rig(), ws);
  });

  /** `berth keepalive` in this process, as the app runs it, with its stderr lines; `stop` is Ctrl-C. */
  async function keepaliveRunning(ws: Workspace): Promise<{ stderr: () => string; stop(): Promise<void> }> {
    let stderr = '';
    let interrupt!: () => void;
    const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
    const running = runCli(['keepalive'], {
      stdout: () => undefined,
      stderr: (text) => (stderr += text),
      env: ws.env,
      createApi: (env) => createNodeApi(env),
      readStdin: () => Promise.resolve(''),
      untilInterrupted: () => interrupted,
    });
    await waitFor('keepalive to start', () => stderr.includes('Keeping 1 registry alive'), 30_000);
    return {
      stderr: () => stderr,
      async stop() {
        interrupt();
        assert.equal(await running, 0);
        ws.outputs.push(stderr);
      },
    };
  }

  /** A registry signed in as `user`, with `berth keepalive` watching its targets, and the rewrite lines keepalive printed for it. */
  async function watched(user: string) {
    const { ws, name } = await signedIn(rig(), user);
    const config = join(ws.dockerConfig, 'config.json');
    const keepalive = await keepaliveRunning(ws);
    const repairs = () => keepalive.stderr().split('\n').filter((line) => line.includes(`${name}: rewrote ${config}`));
    return { ws, name, config, secret: configuredSecret(ws, host()), keepalive, repairs };
  }

  test('while berth keepalive runs, a docker logout is undone at once; a broken config.json turns the registry to error and is left as it is', async () => {
    const { ws, name, config, secret, keepalive, repairs } = await watched('hank');
    try {
      assert.equal((await run('docker', ['logout', host()], ws.env)).code, 0);
      await waitFor('the credential to be back in config.json', () => configuredSecret(ws, host()) === secret, 30_000);
      assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0, 'docker pulls again');
      assert.equal(storedStatus(ws, name).state, 'valid');
      assert.match(repairs()[0] ?? '', new RegExp(`which held another secret than the one Harbor accepts, or none \\(to sign out for good: \`berth logout ${name}\`\\)\\.$`));

      // Another registry's entry written meanwhile is kept, and gives Berth nothing to rewrite.
      const other = dockerConfigJson(ws);
      (other.auths as Record<string, unknown>)['other.example.org'] = { auth: Buffer.from('me:mine').toString('base64') };
      writeFileSync(config, JSON.stringify(other));
      assert.equal((await run('docker', ['logout', host()], ws.env)).code, 0);
      await waitFor('the credential to be back again', () => configuredSecret(ws, host()) === secret, 30_000);
      assert.deepEqual(Object.keys(dockerConfigJson(ws).auths as object).sort(), [host(), 'other.example.org'].sort());
      // Berth's own write changes the file too: it must find nothing to rewrite then, or it would write forever.
      const written = statSync(config).mtimeMs;
      await sleep(1_500);
      assert.equal(repairs().length, 2, `one rewrite per logout:\n${keepalive.stderr()}`);
      assert.equal(statSync(config).mtimeMs, written, 'nothing wrote config.json after Berth put the credential back');

      const broken = '{"auths": {';
      writeFileSync(config, broken);
      await waitFor('the registry to leave valid', () => storedStatus(ws, name).state !== 'valid', 30_000);
      assert.equal(storedStatus(ws, name).state, 'error');
      assert.match(String(storedStatus(ws, name).lastError), new RegExp(`${literally(config)}:1:\\d+: not valid JSON`));
      assert.equal(readFileSync(config, 'utf8'), broken, 'a file Berth cannot parse is never overwritten');
      assert.notEqual((await dockerInspect(ws, rig().imageRef)).code, 0, 'docker cannot read it either: error is the truth');
    } finally {
      await keepalive.stop();
    }
    writeFileSync(config, '{}');
    assert.equal((await ws.berth('refresh', name)).code, 0);
    assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0);
    assertNoSecretsLeaked(rig(), ws);
  });

  test('a program that keeps taking the credential away is not fought: after three rewrites Berth stops, passes leave it alone, berth refresh takes it back', async () => {
    const { ws, name, config, secret, keepalive, repairs } = await watched('ivy');
    const contested = new RegExp(`Another program keeps changing the credential for ${literally(host())} in ${literally(config)}: Berth put it back 3 times within a minute and stopped\\. .*\`berth refresh ${name}\``);
    try {
      // Back to back, well within the minute even on a busy machine.
      for (let round = 1; round <= 3; round++) {
        assert.equal((await run('docker', ['logout', host()], ws.env)).code, 0);
        await waitFor(`rewrite ${round}`, () => repairs().length === round && configuredSecret(ws, host()) === secret, 30_000);
      }
      assert.equal((await run('docker', ['logout', host()], ws.env)).code, 0);
      await waitFor('Berth to stop putting it back', () => storedStatus(ws, name).state === 'error', 30_000);
      assert.match(String(storedStatus(ws, name).lastError), contested);
      assert.equal(configuredSecret(ws, host()), '', 'the fourth logout stands');
      assert.equal(repairs().length, 3);
      assert.notEqual((await dockerInspect(ws, rig().imageRef)).code, 0, 'docker has no credential: error is the truth');
    } finally {
      await keepalive.stop();
    }

    // The scheduled pass after the backoff compares but does not rewrite.
    const { status } = openStores(ws.berthHome);
    status.put(name, { ...status.get(name), nextKeepAliveAt: new Date(Date.now() - 1_000).toISOString() });
    const scheduled = await ws.berth('keepalive', '--once');
    assert.equal(scheduled.code, 1, scheduled.stderr);
    assert.equal(storedStatus(ws, name).state, 'error');
    assert.match(String(storedStatus(ws, name).lastError), contested);
    assert.equal(configuredSecret(ws, host()), '', 'a scheduled pass leaves the contested entry alone');

    const refreshed = await ws.berth('refresh', name);
    assert.equal(refreshed.code, 0, refreshed.stderr);
    assert.equal(configuredSecret(ws, host()), secret);
    assert.equal(storedStatus(ws, name).state, 'valid');
    assert.equal(storedStatus(ws, name).contestedSince, undefined);
    assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0);
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
