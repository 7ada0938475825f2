import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNodeApi } from '../../main/api/node.js';
import { unless } from '../rig/components.js';
import { useRig } from '../helpers/rig.js';
import { openStores } from '../../main/settings/node-stores.js';
import { assertNoSecretsLeaked, dockerInspect, projectRoot, shortWindows, signedIn, startKeepalive, storedSecret, storedStatus, waitFor } from '../helpers/berth.js';

const intervalSeconds = 2;

describe('keep-alive when things fail', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  const rig = useRig({ harborRefreshesOnEveryUse: true }, 'alice');

  for (const [what, server] of [
    ['the identity provider', () => rig().idp],
    ['the Harbor double', () => rig().harbor],
  ] as const) {
    test(`${what} stopped for a while: offline, nothing touched, valid again within one backoff step`, async () => {
      const { ws, name } = await signedIn(rig(), 'alice', ...shortWindows(intervalSeconds, 3600));
      const configPath = join(ws.dockerConfig, 'config.json');
      const configBefore = readFileSync(configPath, 'utf8');
      const secretBefore = await storedSecret(ws, name, 'cli-secret');

      const api = createNodeApi(ws.env);
      const states: string[] = [];
      api.on('registry-status-changed', (event) => states.push(event.to));
      await server().pause();
      const scheduler = api.keepAliveScheduler();
      scheduler.start();
      try {
        await waitFor('the registry shows offline', () => storedStatus(ws, name).state === 'offline', 15_000);
        await sleep(2.5 * intervalSeconds * 1000);
        assert.match(storedStatus(ws, name).lastError as string, /Cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Nothing accepts connections on that port: the server is down or listens elsewhere\./);
        assert.equal(readFileSync(configPath, 'utf8'), configBefore, 'docker credentials untouched');
        assert.equal(await storedSecret(ws, name, 'cli-secret'), secretBefore);
        assert.deepEqual(states, ['offline'], 'offline is not expired: no needs-* state');

        await server().resume();
        const waited = await waitFor('valid again', () => storedStatus(ws, name).state === 'valid', 15_000);
        assert.ok(waited < intervalSeconds * 1.1 * 1000 + 1000, `back within one backoff step (${waited} ms)`);
        assert.deepEqual(states, ['offline', 'valid']);
      } finally {
        await scheduler.stop();
        await server().resume().catch(() => undefined);
      }
      assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0);
      assertNoSecretsLeaked(rig(), ws);
    });
  }

  test('a token service answering 5xx is not a rejection: offline, nothing touched, valid once it answers again', async () => {
    const { ws, name } = await signedIn(rig(), 'alice');
    const configPath = join(ws.dockerConfig, 'config.json');
    const configBefore = readFileSync(configPath, 'utf8');
    const secretBefore = await storedSecret(ws, name, 'cli-secret');
    try {
      for (const status of [500, 502, 503, 504]) {
        rig().harbor.tokenServiceStatus = status;
        const refresh = await ws.berth('refresh', name, '--json');
        const shown = (JSON.parse(refresh.stdout) as { state: string; lastError: string | null }[])[0];
        assert.equal(shown?.state, 'offline', `HTTP ${status}: ${refresh.stdout}`);
        assert.match(shown?.lastError ?? '', new RegExp(`Cannot reach 127\\.0\\.0\\.1:\\d+ \\(HTTP ${status}\\)\\. Check the network or VPN`));
        assert.equal(readFileSync(configPath, 'utf8'), configBefore, 'docker credentials untouched');
        assert.equal(await storedSecret(ws, name, 'cli-secret'), secretBefore, 'no new secret fetched');
      }
    } finally {
      rig().harbor.tokenServiceStatus = undefined;
    }
    const refresh = await ws.berth('refresh', name, '--json');
    assert.equal((JSON.parse(refresh.stdout) as { state: string }[])[0]?.state, 'valid', refresh.stdout);
    assertNoSecretsLeaked(rig(), ws);
  });

  test("Harbor's registry answering 5xx on /v2/ is not a fault of Berth's: offline, nothing touched, valid once it answers again", async () => {
    const { ws, name } = await signedIn(rig(), 'alice');
    const configPath = join(ws.dockerConfig, 'config.json');
    const configBefore = readFileSync(configPath, 'utf8');
    try {
      for (const status of [502, 503]) {
        rig().harbor.registryStatus = status;
        const refresh = await ws.berth('refresh', name, '--json');
        const shown = (JSON.parse(refresh.stdout) as { state: string; lastError: string | null }[])[0];
        assert.equal(shown?.state, 'offline', `HTTP ${status}: ${refresh.stdout}`);
        assert.match(shown?.lastError ?? '', new RegExp(`Cannot reach 127\\.0\\.0\\.1:\\d+ \\(HTTP ${status}\\)`));
        assert.equal(readFileSync(configPath, 'utf8'), configBefore, 'docker credentials untouched');
      }
    } finally {
      rig().harbor.registryStatus = undefined;
    }
    const refresh = await ws.berth('refresh', name, '--json');
    assert.equal((JSON.parse(refresh.stdout) as { state: string }[])[0]?.state, 'valid', refresh.stdout);
  });

  test('a process killed with SIGKILL while holding the lock does not block the next pass', async () => {
    const { ws, name } = await signedIn(rig(), 'alice');
    const holder = spawn(process.execPath, [join(projectRoot, 'dist', 'test', 'helpers', 'lock-holder.js'), join(ws.berthHome, 'locks'), name, 'forever'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    const started = Date.now();
    const refresh = await ws.berth('refresh', name);
    assert.equal(refresh.code, 0, refresh.stderr);
    assert.ok(Date.now() - started < 10_000, 'not held up by the dead holder');
    assert.equal(storedStatus(ws, name).state, 'valid');
  });
});

describe('stopping keep-alive while a server does not answer', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  // Reusing a spent refresh token ends the session here (Keycloak's "Revoke Refresh Token"): losing the rotated one would show.
  const rig = useRig({ provider: { revokeRefreshToken: true } }, 'rita');

  test('Ctrl-C while Harbor’s token service hangs: keepalive stops without waiting for the request’s deadline, records nothing, and keeps the refresh token the provider rotated', async () => {
    const { ws, name } = await signedIn(rig(), 'rita');
    const before = await storedSecret(ws, name, 'refresh-token');
    const { status } = openStores(ws.berthHome);
    status.put(name, { ...status.get(name), lastKeptAliveAt: new Date(Date.now() - 2 * 86_400_000).toISOString(), nextKeepAliveAt: undefined });
    const recordBefore = storedStatus(ws, name);
    rig().harbor.stallTokenService = true;
    const asked = rig().harbor.stalledTokenRequests;
    const keepalive = startKeepalive(ws);
    try {
      await waitFor('the pass is waiting on Harbor', () => rig().harbor.stalledTokenRequests > asked, 60_000);
      const stopped = await keepalive.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
    } finally {
      rig().harbor.stallTokenService = false;
    }
    assert.deepEqual(keepalive.lines, [], 'the pass was stopped, not reported');
    const recordAfter = storedStatus(ws, name);
    // Stopping is not recorded: no "offline", no error from a deadline nobody waited for.
    assert.deepEqual([recordAfter.state, recordAfter.lastError, recordAfter.lastKeptAliveAt], [recordBefore.state, undefined, recordBefore.lastKeptAliveAt]);
    const after = await storedSecret(ws, name, 'refresh-token');
    assert.notEqual(after, before, 'the refresh token the provider rotated before the stop was stored');
    assert.equal(await rig().idp.refreshTokenActive(after as string), true, 'and it is the one the provider honours');
    const refresh = await ws.berth('refresh', name, '--json');
    assert.equal((JSON.parse(refresh.stdout) as { state: string }[])[0]?.state, 'valid', refresh.stdout + refresh.stderr);
    assertNoSecretsLeaked(rig(), ws);
  });
});
