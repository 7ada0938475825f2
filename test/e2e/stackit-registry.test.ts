import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNodeApi } from '../../main/api/node.js';
import { keychain } from '../../main/secrets/keychain.js';
import { jwtClaims } from '../../main/registry/jwt-claims.js';
import { unless } from '../rig/components.js';
import { useRig } from '../helpers/rig.js';
import { assertNoSecretsLeaked, berthBin, dockerConfigJson, dockerInspect, helperOnPath, modulesLoaded, skopeoInspect, storedSecret, storedStatus, uniqueName, workspace, type Workspace } from '../helpers/berth.js';
import type { Rig } from '../rig/index.js';

// Access tokens live a few seconds here; Berth hands docker one with at least `margin` seconds left.
const lifetime = 6;
const margin = 2;

/** A service account, its key file in the workspace, and a robot of the demo project linked to it (STACKIT's Container Registry). */
function linkedAccount(rig: Rig, ws: Workspace) {
  const endpoint = rig.stackit;
  assert.ok(endpoint, 'the rig has a STACKIT token endpoint');
  const account = endpoint.serviceAccount(`${uniqueName('puller')}@sa.stackit.cloud`);
  const key = endpoint.createKey(account, { tokenEndpoint: endpoint.tokenUrl });
  const keyFile = join(ws.home, 'sa-key.json');
  writeFileSync(keyFile, key);
  const robot = rig.harbor.robots.create('demo', uniqueName('stackit'));
  rig.harbor.robots.link(robot.name, account, endpoint.verifyAccessToken);
  return { endpoint, account, key, keyFile, robot };
}

function configToken(ws: Workspace, host: string): string {
  const entry = (dockerConfigJson(ws).auths as Record<string, { auth: string }>)[host];
  return Buffer.from(entry?.auth ?? '', 'base64').toString().split(':').slice(1).join(':');
}

describe('stackit registries: a service-account key mints short-lived access tokens', { skip: unless('docker-registry', 'docker', 'skopeo', 'openssl', 'keyring') }, () => {
  const rig = useRig({ stackit: true });

  test('through docker-credential-berth: docker reads the image across three token lifetimes with one mint per lifetime, not one per pull', async (t) => {
    const ws = workspace();
    helperOnPath(ws);
    const { endpoint, account, keyFile, robot } = linkedAccount(rig(), ws);
    endpoint.lifetimeSeconds = lifetime;
    // Once linked, the robot's static secret no longer works (STACKIT's service-account integration).
    const staticSecret = await fetch(`${rig().harbor.url}/service/token?service=harbor-registry`, { headers: { authorization: `Basic ${Buffer.from(`${robot.name}:${robot.secret}`).toString('base64')}` } });
    assert.equal(staticSecret.status, 401);

    const name = uniqueName('stackit');
    const added = await ws.berth('add', 'stackit', name, '--url', rig().harbor.url, '--key-file', keyFile, '--min-token-seconds', String(margin), '--json');
    assert.equal(added.code, 0, added.stderr);
    const view = JSON.parse(added.stdout) as { kind: string; username: string; state: string; warnings: string[] };
    assert.deepEqual([view.kind, view.username, view.state], ['stackit', account.email, 'valid'], "the user name is the key's credentials.iss");
    assert.match(view.warnings.join(' '), /Docker's copy of a STACKIT access token lives only minutes/);
    assert.match((await ws.berth('status', name)).stdout, /docker's copy of the access token lives only minutes.*berth target .* helper/);
    assert.equal((await ws.berth('target', name, 'helper')).code, 0);
    assert.ok(!JSON.stringify(dockerConfigJson(ws)).includes('eyJ'), 'no token in config.json with the helper');

    const mintsBefore = endpoint.mintsFor(account);
    const started = Date.now();
    let pulls = 0;
    while (Date.now() - started < 3 * lifetime * 1000) {
      const result = await (pulls % 2 === 0 ? dockerInspect : skopeoInspect)(ws, rig().imageRef);
      assert.equal(result.code, 0, `pull ${pulls + 1}, ${Date.now() - started} ms in: ${result.stderr}`);
      pulls += 1;
    }
    const elapsed = Date.now() - started;
    const mints = endpoint.mintsFor(account) - mintsBefore;
    // A token is handed out until `margin` seconds before its end, so each one serves (lifetime - margin) seconds of pulls.
    const most = Math.ceil(elapsed / ((lifetime - margin) * 1000)) + 1;
    assert.ok(mints >= 2 && mints <= most, `${mints} mints in ${elapsed} ms for ${pulls} pulls (at most ${most})`);
    assert.ok(pulls > mints, `fewer mints (${mints}) than pulls (${pulls})`);
    t.diagnostic(`${mints} mints for ${pulls} pulls in ${elapsed} ms`);
    assert.match((await storedSecret(ws, name, 'service-account-key')) ?? '', /BEGIN PRIVATE KEY/, 'the private key is in the keychain');
    assert.ok(!JSON.stringify(dockerConfigJson(ws)).includes('eyJ'));
    assertNoSecretsLeaked(rig(), ws);
  });

  test("with docker's config as the target, the scheduler keeps config.json's token fresh; a deleted key is rejected with the STACKIT portal, replaced, and removed", async () => {
    const ws = workspace();
    const { endpoint, account, key, keyFile } = linkedAccount(rig(), ws);
    endpoint.lifetimeSeconds = lifetime;
    const host = new URL(rig().harbor.url).host;
    const name = uniqueName('stackit');
    const added = await ws.berth('add', 'stackit', name, '--url', rig().harbor.url, '--key-file', keyFile, '--min-token-seconds', String(margin));
    assert.equal(added.code, 0, added.stderr);
    const api = createNodeApi(ws.env);
    const scheduler = api.keepAliveScheduler();
    const seen = new Set<string>();
    scheduler.start();
    const started = Date.now();
    try {
      while (Date.now() - started < 3 * lifetime * 1000) {
        seen.add(configToken(ws, host));
        await sleep(250);
      }
      const token = configToken(ws, host);
      const exp = jwtClaims(token)?.exp as number;
      assert.ok(exp * 1000 > Date.now(), "config.json's token has not expired");
      assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0, 'docker reads the image with the token in config.json');
    } finally {
      await scheduler.stop();
    }
    const elapsed = Date.now() - started;
    assert.ok(seen.size >= Math.floor(elapsed / (lifetime * 1000)), `${seen.size} tokens written in ${elapsed} ms`);

    endpoint.deleteKey(key);
    const refresh = await ws.berth('refresh', name, '--json');
    assert.equal(refresh.code, 1);
    const shown = (JSON.parse(refresh.stdout) as { state: string; lastError: string; actionUrl: string }[])[0];
    assert.equal(shown?.state, 'rejected');
    assert.match(shown?.lastError ?? '', /STACKIT no longer knows the service-account key .* \(it was deleted.*STACKIT portal: your project → Service Accounts.*create a new key\. Then `berth replace \S+ --key-file <new key file>`\.$/);
    assert.equal(shown?.actionUrl, 'https://portal.stackit.cloud/');
    assert.equal(storedStatus(ws, name).state, 'rejected');

    // The way back the message names: a new key of the same account.
    const newKey = endpoint.createKey(account, { tokenEndpoint: endpoint.tokenUrl });
    const newKeyFile = join(ws.home, 'sa-key-new.json');
    writeFileSync(newKeyFile, newKey);
    const replaced = await ws.berth('replace', name, '--key-file', newKeyFile);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.equal(storedStatus(ws, name).state, 'valid');
    const kept = JSON.parse((await storedSecret(ws, name, 'service-account-key')) ?? '{}') as { kid?: string };
    assert.equal(kept.kid, (JSON.parse(newKey) as { credentials: { kid: string } }).credentials.kid, 'the keychain holds the new key');
    assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0, 'docker reads the image with a token of the new key');

    // Removing it forgets the key and the token, in the keychain and in docker's config.
    const removed = await ws.berth('remove', name);
    assert.equal(removed.code, 0, removed.stderr);
    for (const kind of ['service-account-key', 'access-token', 'registry-tokens'] as const) assert.equal(await storedSecret(ws, name, kind), null, `no ${kind} left`);
    assert.equal((dockerConfigJson(ws).auths as Record<string, unknown>)[host], undefined);
    assert.notEqual((await dockerInspect(ws, rig().imageRef)).code, 0);
    assert.doesNotMatch((await ws.berth('list')).stdout, new RegExp(name));
    assertNoSecretsLeaked(rig(), ws);
  });

  test('STACKIT_TOKEN_BASEURL names the token endpoint for a key without one; a revoked service account is rejected', async () => {
    const ws = workspace();
    const endpoint = rig().stackit;
    assert.ok(endpoint);
    endpoint.lifetimeSeconds = 600;
    const account = endpoint.serviceAccount(`${uniqueName('env')}@sa.stackit.cloud`);
    const keyFile = join(ws.home, 'no-endpoint.json');
    writeFileSync(keyFile, endpoint.createKey(account));
    const robot = rig().harbor.robots.create('demo', uniqueName('env'));
    rig().harbor.robots.link(robot.name, account, endpoint.verifyAccessToken);
    const name = uniqueName('env');
    ws.env.STACKIT_TOKEN_BASEURL = endpoint.tokenUrl;
    const added = await ws.berth('add', 'stackit', name, '--url', rig().harbor.url, '--key-file', keyFile);
    delete ws.env.STACKIT_TOKEN_BASEURL;
    assert.equal(added.code, 0, added.stderr);
    const settings = JSON.parse(readFileSync(join(ws.berthHome, 'settings.json'), 'utf8')) as { registries: { name: string; tokenEndpoint: string }[] };
    assert.equal(settings.registries.find((registry) => registry.name === name)?.tokenEndpoint, endpoint.tokenUrl);

    account.revoked = true;
    const refresh = await ws.berth('refresh', name, '--json');
    const shown = (JSON.parse(refresh.stdout) as { state: string; lastError: string }[])[0];
    assert.equal(shown?.state, 'rejected');
    assert.match(shown?.lastError ?? '', /refused the service account .* \(HTTP 403\): the account or its key was revoked/);
    assertNoSecretsLeaked(rig(), ws);
  });

  test('berth check with a cached access token is answered by the quick start, as the full API answers it; without one the full CLI mints it', async () => {
    const ws = workspace();
    const { endpoint, account, keyFile } = linkedAccount(rig(), ws);
    const name = uniqueName('stackit');
    assert.equal((await ws.berth('add', 'stackit', name, '--url', rig().harbor.url, '--key-file', keyFile)).code, 0);
    const checked = async () => {
      const mints = endpoint.mintsFor(account);
      const { run: result, modules } = await modulesLoaded([berthBin, 'check', rig().imageRef, '--json'], ws.env);
      assert.equal(result.code, 0, result.stderr);
      return { verdict: JSON.parse(result.stdout) as { verdict: string; username: string }, mints: endpoint.mintsFor(account) - mints, esm: modules.includes('NativeModule internal/modules/esm/module_job') };
    };

    const cached = await checked();
    assert.deepEqual([cached.verdict.verdict, cached.verdict.username, cached.mints, cached.esm], ['will-work', account.email, 0, false], 'the token added minted, read by the quick start');
    assert.deepEqual(cached.verdict, JSON.parse(JSON.stringify(await createNodeApi(ws.env).check(rig().imageRef))));
    assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0, 'docker agrees: its copy of the token works');

    await keychain(ws.berthHome).delete(name, 'access-token');
    const minted = await checked();
    assert.deepEqual([minted.verdict.verdict, minted.mints, minted.esm], ['will-work', 1, true], 'no cached token: the full CLI mints one');
    assertNoSecretsLeaked(rig(), ws);
  });

  test('a key file that is not one, or a robot not linked to the account, stores nothing', async () => {
    const ws = workspace();
    const { endpoint } = linkedAccount(rig(), ws);
    const pem = join(ws.home, 'key.pem');
    writeFileSync(pem, '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n');
    const notJson = await ws.berth('add', 'stackit', uniqueName('bad'), '--url', rig().harbor.url, '--key-file', pem);
    assert.equal(notJson.code, 64, 'bad input, named');
    assert.match(notJson.stderr, /The service-account key file is a PEM key, not a STACKIT service-account key file/);
    const other = endpoint.serviceAccount(`${uniqueName('unlinked')}@sa.stackit.cloud`);
    const unlinkedFile = join(ws.home, 'unlinked.json');
    writeFileSync(unlinkedFile, endpoint.createKey(other, { tokenEndpoint: endpoint.tokenUrl }));
    const name = uniqueName('unlinked');
    const unlinked = await ws.berth('add', 'stackit', name, '--url', rig().harbor.url, '--key-file', unlinkedFile);
    assert.equal(unlinked.code, 1);
    assert.match(unlinked.stderr, /rejected the access token of the service account .* nothing was stored\. Is a robot account in the Container Registry linked to this service account\?/);
    assert.deepEqual(JSON.parse((await ws.berth('list', '--json')).stdout), []);
    assert.equal(await storedSecret(ws, name, 'service-account-key'), null);
  });
});
