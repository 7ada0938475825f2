import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import keytar from 'keytar';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { addArgs, assertNoSecretsLeaked, cliLogin, dockerConfigJson, dockerInspect, shortWindows, signedIn, startKeepalive, storedStatus, uniqueName, waitFor, workspace } from '../helpers/berth.js';

// The identity provider's offline-session idle window W, in seconds; Keycloak's is 30 days.
const W = 3;

function statusJson(stdout: string): Record<string, unknown> {
  return (JSON.parse(stdout) as Record<string, unknown>[])[0] ?? {};
}

function configuredSecret(ws: ReturnType<typeof workspace>, host: string): string {
  const auths = dockerConfigJson(ws).auths as Record<string, { auth: string }>;
  return Buffer.from(auths[host]?.auth ?? '', 'base64').toString().split(':')[1] ?? '';
}

describe('keep-alive against an identity provider whose sessions idle out after a few seconds', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring'), concurrency: true }, () => {
  // Both sessions (Berth's and Harbor's) idle out after W; access tokens live 1 s, so Harbor refreshes on every use.
  let rig: Rig;
  // Harbor's session idles out after W, Berth's own lives on (Keycloak allows per-client idle overrides).
  let split: Rig;
  before(async () => {
    [rig, split] = await Promise.all([
      startRig({ accessTokenTtl: 1, refreshTokenIdleTtl: W }),
      startRig({ accessTokenTtl: 1, refreshTokenIdleTtl: { harbor: W, berth: 600 } }),
    ]);
    await Promise.all([rig.webLogin('alice'), rig.webLogin('bob'), split.webLogin('carol')]);
  });
  after(() => Promise.all([rig?.stop(), split?.stop()]));

  test('kept alive every W/3, the CLI secret and Berth’s own session still work after 10·W', async () => {
    const ws = workspace();
    const name = uniqueName('alice');
    const host = new URL(rig.harbor.url).host;
    assert.equal((await ws.berth(...addArgs(rig, name, ...shortWindows(W / 3, W)))).code, 0);
    const login = await cliLogin(ws, name, 'alice');
    assert.equal(login.code, 0, login.stderr);
    const secret = configuredSecret(ws, host);

    const keepalive = startKeepalive(ws);
    const refreshTokens = new Set<string>();
    const until = Date.now() + 10 * W * 1000;
    while (Date.now() < until) {
      refreshTokens.add((await keytar.getPassword('Berth', `${name}/refresh-token`)) ?? '');
      await sleep(250);
    }
    const stopped = await keepalive.stop();
    assert.equal(stopped.code, 0, stopped.stderr);

    const passes = keepalive.lines.filter((line) => line.includes(`  ${name}  `));
    assert.ok(passes.length >= 24, `about one pass every ${W / 3} s: ${passes.length} in ${10 * W} s`);
    assert.deepEqual(passes.filter((line) => !line.includes(`  valid  `)), [], 'every pass kept both sessions alive');

    assert.equal(configuredSecret(ws, host), secret, 'the same CLI secret as at sign-in');
    const docker = await dockerInspect(ws, rig.imageRef);
    assert.equal(docker.code, 0, `docker reads the image after ${10 * W} s: ${docker.stderr}`);

    const refreshToken = await keytar.getPassword('Berth', `${name}/refresh-token`);
    assert.ok(refreshToken && (await rig.idp.refreshTokenActive(refreshToken)), 'Berth’s own session is alive');
    assert.ok(refreshTokens.size >= 15, `the refresh token rotated on every pass (${refreshTokens.size} seen)`);
    assert.deepEqual(rig.idp.refreshTokenReuses, [], 'no refresh token was ever used twice');

    const status = statusJson((await ws.berth('status', name, '--json')).stdout);
    assert.equal(status.state, 'valid');
    const keptAt = Date.parse(status.lastKeptAliveAt as string);
    assert.ok(Date.now() - keptAt < 3 * 1000, 'kept alive moments ago');
    assert.equal(Date.parse(status.idleDeadline as string), keptAt + W * 1000, 'the idle deadline is one window after the last pass');
    assertNoSecretsLeaked(rig, ws);
  });

  test('left alone past W, both sessions die: needs-sign-in, and one `berth login` brings both back', async () => {
    const { ws, name } = await signedIn(rig, 'bob', ...shortWindows(W / 3, W));
    assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0);

    await sleep((W + 2) * 1000);
    const rejected = await dockerInspect(ws, rig.imageRef);
    assert.notEqual(rejected.code, 0, 'the registry rejects the CLI secret once Harbor’s session idled out');
    assert.match(rejected.stderr, /unauthorized/i);

    const refresh = await ws.berth('refresh', name, '--json');
    assert.equal(refresh.code, 1);
    const status = statusJson(refresh.stdout);
    assert.equal(status.state, 'needs-sign-in');
    assert.match(status.lastError as string, /Both Berth's session and Harbor's session for bob .* have ended: sign in to .* again.*one sign-in renews both/);

    // A browser without cookies: the password is asked once, for Berth; Harbor's web login then passes on that SSO session.
    const promptsBefore = rig.idp.loginPrompts;
    const login = await cliLogin(ws, name, 'bob', `${ws.home}/fresh-browser.json`);
    assert.equal(login.code, 0, login.stderr);
    assert.equal(rig.idp.loginPrompts - promptsBefore, 1, 'the user typed a password once');
    assert.equal(storedStatus(ws, name).state, 'valid');
    const docker = await dockerInspect(ws, rig.imageRef);
    assert.equal(docker.code, 0, `both sessions are back: ${docker.stderr}`);
    assertNoSecretsLeaked(rig, ws);
  });

  test('Harbor’s session died while Berth was not running: needs-web-login, then valid right after a web login', async () => {
    const { ws, name } = await signedIn(split, 'carol', ...shortWindows(W / 3, W));
    await sleep((W + 2) * 1000);
    assert.notEqual((await dockerInspect(ws, split.imageRef)).code, 0, 'Harbor’s session idled out');

    const keepalive = startKeepalive(ws, '--json');
    await waitFor('the start-up pass finds Harbor’s session dead', () => storedStatus(ws, name).state === 'needs-web-login', 15_000);
    const status = statusJson((await ws.berth('status', name, '--json')).stdout);
    assert.equal(status.actionUrl, `${split.harbor.url}/c/oidc/login`);
    assert.match(status.lastError as string, /rejects the CLI secret of carol: Harbor's own session for this user has expired\. Log in once at http.*\/c\/oidc\/login/);

    // A new secret does not revive Harbor's session: Berth says so instead of claiming success.
    const regenerated = await ws.berth('regenerate', name, '--yes');
    assert.equal(regenerated.code, 1);
    assert.match(regenerated.stderr, /The new CLI secret is in place, but Harbor at .* rejects the CLI secret of carol/);
    const newSecret = split.harbor.user('carol')?.secret as string;
    assert.equal(configuredSecret(ws, new URL(split.harbor.url).host), newSecret, 'the new secret is written all the same');
    assert.equal(storedStatus(ws, name).state, 'needs-web-login');

    await split.webLogin('carol');
    const waited = await waitFor('Berth notices the web login', () => storedStatus(ws, name).state === 'valid', 15_000);
    assert.ok(waited < 5_000, `noticed within one re-check (${waited} ms)`);
    const stopped = await keepalive.stop();
    assert.equal(stopped.code, 0, stopped.stderr);
    const passes = keepalive.lines.map((line) => JSON.parse(line) as { name: string; state: string; lastError: string | null; nextAt: string });
    const dead = passes.find((pass) => pass.state === 'needs-web-login');
    assert.equal(dead?.name, name, 'one JSON object per pass, with the state');
    assert.match(dead?.lastError ?? '', /Log in once at http/);
    assert.equal(passes.at(-1)?.state, 'valid');
    assert.ok(!Number.isNaN(Date.parse(passes.at(-1)?.nextAt ?? '')));
    const docker = await dockerInspect(ws, split.imageRef);
    assert.equal(docker.code, 0, docker.stderr);
    assert.deepEqual(split.idp.refreshTokenReuses, []);
    assertNoSecretsLeaked(split, ws);
  });
});
