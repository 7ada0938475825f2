import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { unless } from '../rig/components.js';
import { literally } from '../helpers/pattern.js';
import { useRig } from '../helpers/rig.js';
import { openStores } from '../../main/settings/node-stores.js';
import { addArgs, assertNoSecretsLeaked, browserCommand, dockerConfigJson, dockerInspect, run, signedIn, startKeepalive, storedStatus, uniqueName, waitFor, workspace, type Workspace } from '../helpers/berth.js';

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

    // berth check asks the store docker asks (what it holds is Berth's, so the source is the registry), and agrees with docker.
    const works = await ws.berth('check', rig().imageRef, '--json');
    assert.equal(works.code, 0, works.stdout);
    assert.deepEqual(
      (({ verdict, username, credentialSource }) => ({ verdict, username, credentialSource }))(JSON.parse(works.stdout) as Record<string, unknown>),
      { verdict: 'will-work', username: 'alice', credentialSource: `berth:${name}` },
    );
    assert.equal((await run('docker-credential-secretservice', ['erase'], ws.env, host)).code, 0);
    assert.notEqual((await dockerInspect(ws, rig().imageRef)).code, 0, 'docker has nothing to send now');
    const gone = await ws.berth('check', rig().imageRef);
    assert.equal(gone.code, 1, gone.stdout);
    assert.match(gone.stderr + gone.stdout, new RegExp(`docker's credential helper "secretservice" holds no credential for ${literally(host)}, although Berth keeps one for ${name}: \`berth refresh ${name}\` writes it back\\.`));
    assert.equal((await ws.berth('refresh', name)).code, 0);
    assert.equal((await ws.berth('check', rig().imageRef)).code, 0, 'the refresh put it back in the store');
    assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0);

    const logout = await ws.berth('logout', name);
    assert.equal(logout.code, 0, logout.stderr);
    assert.match((await run('docker-credential-secretservice', ['get'], ws.env, host)).stdout, /credentials not found/);
    assert.equal((dockerConfigJson(ws).auths as Record<string, unknown>)[host], undefined);
    assert.notEqual((await dockerInspect(ws, rig().imageRef)).code, 0);
    assertNoSecretsLeaked(rig(), ws);
  });
});

describe('a docker credential store whose helper never answers (a locked keyring, a password prompt nobody sees)', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  const rig = useRig({}, 'bob');

  /** `docker-credential-hang` on the workspace's PATH: it writes its pid, then waits forever, as a helper blocked on a prompt does. */
  function hangingHelper(ws: Workspace): string {
    const bin = join(ws.home, 'bin');
    const pidFile = join(ws.home, 'helper.pid');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'docker-credential-hang'), `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 600\n`, { mode: 0o755 });
    ws.env.PATH = `${bin}:${ws.env.PATH ?? ''}`;
    return pidFile;
  }

  /** Whether the process still runs (a killed one may linger as a zombie until reaped: that one is gone). */
  function alive(pid: number): boolean {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
    } catch {
      return false;
    }
  }

  test('refresh gives up on the helper with its name and why, and is not valid; Ctrl-C stops keepalive while the helper hangs; no helper is left running', async () => {
    const { ws, name } = await signedIn(rig(), 'bob');
    const pidFile = hangingHelper(ws);
    const config = dockerConfigJson(ws);
    writeFileSync(join(ws.dockerConfig, 'config.json'), JSON.stringify({ ...config, credsStore: 'hang' }));

    const refresh = await ws.berth('refresh', name, '--json');
    assert.equal(refresh.code, 1);
    const [view] = JSON.parse(refresh.stdout) as { state: string; lastError: string }[];
    assert.equal(view?.state, 'error', 'a credential target Berth could not check is not valid');
    assert.match(view?.lastError ?? '', /The docker credential helper docker-credential-hang did not get the .* credentials within 10 s \(is it waiting for a locked keyring or a password prompt\?\); Berth stopped it\./);
    const first = Number(readFileSync(pidFile, 'utf8'));
    await waitFor('the helper was ended, not left waiting', () => !alive(first), 30_000);

    // The next pass hangs on the helper again; Ctrl-C must not wait for it.
    rmSync(pidFile);
    const { status } = openStores(ws.berthHome);
    status.put(name, { ...status.get(name), state: 'valid', lastError: undefined, lastKeptAliveAt: new Date(Date.now() - 2 * 86_400_000).toISOString(), nextKeepAliveAt: undefined });
    const keepalive = startKeepalive(ws);
    await waitFor('the pass is waiting on the helper', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 60_000);
    const stopped = await keepalive.stop();
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.deepEqual(keepalive.lines, [], 'the pass was stopped, not reported');
    const second = Number(readFileSync(pidFile, 'utf8'));
    await waitFor('the helper was ended with the pass', () => !alive(second), 30_000);
    assert.equal(storedStatus(ws, name).state, 'valid', 'stopping is not recorded as a failure');
    assertNoSecretsLeaked(rig(), ws);
  });

  test('a helper that answers without end is stopped at 64 KB, named, and the registry is not valid', async () => {
    const { ws, name } = await signedIn(rig(), 'bob');
    const bin = join(ws.home, 'bin');
    const pidFile = join(ws.home, 'chatty.pid');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'docker-credential-chatty'), `#!/bin/sh\necho $$ > '${pidFile}'\nexec yes 'not the protocol'\n`, { mode: 0o755 });
    ws.env.PATH = `${bin}:${ws.env.PATH ?? ''}`;
    writeFileSync(join(ws.dockerConfig, 'config.json'), JSON.stringify({ ...dockerConfigJson(ws), credsStore: 'chatty' }));

    const refresh = await ws.berth('refresh', name, '--json');
    assert.equal(refresh.code, 1);
    const [view] = JSON.parse(refresh.stdout) as { state: string; lastError: string }[];
    assert.equal(view?.state, 'error');
    assert.match(view?.lastError ?? '', /The docker credential helper docker-credential-chatty wrote more than 64 KB when asked to get the .* credentials; Berth stopped it\./);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor('the helper was ended', () => !alive(pid), 30_000);
    assert.ok(statSync(join(ws.berthHome, 'berth.log')).size < 64 * 1024, "the helper's output did not go to Berth's log");
  });
});
