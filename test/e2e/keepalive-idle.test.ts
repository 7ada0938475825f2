import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { addArgs, assertNoSecretsLeaked, cliLogin, dockerConfigJson, dockerInspect, shortWindows, signedIn, startKeepalive, storedSecret, storedStatus, uniqueName, waitFor, workspace } from '../helpers/berth.js';

// The identity provider's offline-session idle window W, in seconds (Keycloak's is 30 days). It is derived from how long
// a keep-alive pass takes on this machine right now, so that a busy machine gets a window its passes fit into many times.
let W = 6;
const passesPerWindow = 3;
// Passes are W/3 apart from the end of one to the start of the next, so a slow machine fits fewer than 30 into 10·W;
// a keep-alive that ran once per window (too rarely to keep a session) would fit 10.
const fewestPasses = 18;

function statusJson(stdout: string): Record<string, unknown> {
  return (JSON.parse(stdout) as Record<string, unknown>[])[0] ?? {};
}

function configuredSecret(ws: ReturnType<typeof workspace>, host: string): string {
  const auths = dockerConfigJson(ws).auths as Record<string, { auth: string }>;
  return Buffer.from(auths[host]?.auth ?? '', 'base64').toString().split(':')[1] ?? '';
}

describe('keep-alive against an identity provider whose sessions idle out after a few seconds', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring'), concurrency: true }, () => {
  // Both sessions (Berth's and Harbor's) idle out after W; Harbor refreshes its stored session on every use of the secret.
  let rig: Rig;
  // Harbor's session idles out after W, Berth's own lives on (Keycloak allows per-client idle overrides).
  let split: Rig;
  // Nothing registered for Berth: registries sign in through Harbor's web login.
  let web: Rig;
  // Harbor's session idles out after W; Berth's own will be refused by the provider (an OAuth error other than invalid_grant).
  let refused: Rig;
  before(async () => {
    // Measured first: the identity providers below are started with this window.
    W = await idleWindowNow();
    [rig, split, web, refused] = await Promise.all([
      startRig({ harborRefreshesOnEveryUse: true, refreshTokenIdleTtl: W }),
      startRig({ harborRefreshesOnEveryUse: true, refreshTokenIdleTtl: { harbor: W, berth: 600 } }),
      startRig({ harborRefreshesOnEveryUse: true, refreshTokenIdleTtl: W, berthClient: false }),
      startRig({ harborRefreshesOnEveryUse: true, refreshTokenIdleTtl: { harbor: W, berth: 600 } }),
    ]);
    await Promise.all([rig.webLogin('alice'), rig.webLogin('bob'), split.webLogin('carol'), refused.webLogin('dora')]);
  });

  /** Eight times the slowest of three real passes (`berth refresh`) now: passes W/3 apart then never crowd W. */
  async function idleWindowNow(): Promise<number> {
    const measured = await startRig({ harborRefreshesOnEveryUse: true });
    try {
      await measured.webLogin('mia');
      const { ws, name } = await signedIn(measured, 'mia');
      let slowestMs = 0;
      for (let pass = 0; pass < 3; pass++) {
        const started = Date.now();
        const refresh = await ws.berth('refresh', name);
        assert.equal(refresh.code, 0, refresh.stderr);
        slowestMs = Math.max(slowestMs, Date.now() - started);
      }
      const window = Math.max(6, Math.ceil((8 * slowestMs) / 1000));
      console.log(`idle window W = ${window} s (slowest of 3 passes: ${slowestMs} ms)`);
      return window;
    } finally {
      await measured.stop();
    }
  }
  after(() => Promise.all([rig?.stop(), split?.stop(), web?.stop(), refused?.stop()]));

  test('Berth’s own session refused by the provider: every pass still uses the CLI secret at Harbor, which stays alive for 10·W', async () => {
    const { ws, name } = await signedIn(refused, 'dora', ...shortWindows(W / passesPerWindow, W));
    refused.idp.refreshErrors.set(refused.berthClientId, 'invalid_request');
    const tokenRequests = () => refused.harbor.requestLog.filter((line) => line === 'GET /service/token').length;
    const before = tokenRequests();
    const keepalive = startKeepalive(ws, '--json');
    await sleep(10 * W * 1000);
    const stopped = await keepalive.stop();
    assert.equal(stopped.code, 0, stopped.stderr);

    const passes = keepalive.lines.map((line) => JSON.parse(line) as { name: string; state: string; lastError: string | null }).filter((pass) => pass.name === name);
    assert.ok(passes.length >= fewestPasses, `about one pass every ${W / passesPerWindow} s: ${passes.length} in ${10 * W} s`);
    assert.deepEqual([...new Set(passes.map((pass) => pass.state))], ['needs-sign-in'], 'Berth says its own session ended');
    assert.match(passes.at(-1)?.lastError ?? '', /\(invalid_request: Session not active\)\. Docker credentials still work and Berth keeps Harbor's session alive/);
    assert.ok(tokenRequests() - before >= passes.length, `the CLI secret was used at Harbor on every pass (${tokenRequests() - before} uses, ${passes.length} passes)`);
    const docker = await dockerInspect(ws, refused.imageRef);
    assert.equal(docker.code, 0, `Harbor's session is alive after ${10 * W} s: ${docker.stderr}`);
    assertNoSecretsLeaked(refused, ws);
  });

  /** A registry added by URL alone and signed in with the CLI secret the user copied from Harbor (web login, nothing registered for Berth). */
  async function webSignedIn(user: string): Promise<{ ws: ReturnType<typeof workspace>; name: string; secret: string }> {
    const ws = workspace();
    const name = uniqueName(user);
    const added = await ws.berth('add', 'harbor', name, '--url', web.harbor.url, ...shortWindows(W / passesPerWindow, W));
    assert.equal(added.code, 0, added.stderr);
    // The user logs in to Harbor's web UI and copies the secret now, as a person would: Harbor's session is W seconds fresh.
    await web.webLogin(user);
    const secret = web.harbor.user(user)?.secret as string;
    const login = await ws.berthWithInput(`${secret}\n`, 'login', name, '--username', user, '--secret-stdin');
    assert.equal(login.code, 0, login.stderr);
    return { ws, name, secret };
  }

  test('Harbor’s web login: the CLI secret alone keeps Harbor’s session alive, every W/3 for 10·W', async () => {
    const { ws, name, secret } = await webSignedIn('wes');
    const host = new URL(web.harbor.url).host;
    const tokenRequests = () => web.harbor.requestLog.filter((line) => line === 'GET /service/token').length;
    const before = tokenRequests();
    const keepalive = startKeepalive(ws);
    await sleep(10 * W * 1000);
    const stopped = await keepalive.stop();
    assert.equal(stopped.code, 0, stopped.stderr);

    const passes = keepalive.lines.filter((line) => line.includes(`  ${name}  `));
    assert.ok(passes.length >= fewestPasses, `about one pass every ${W / passesPerWindow} s: ${passes.length} in ${10 * W} s`);
    assert.deepEqual(passes.filter((line) => !line.includes(`  valid  `)), [], 'every pass kept Harbor’s session alive');
    assert.ok(tokenRequests() - before >= passes.length, 'each pass used the secret on /service/token');
    assert.equal(configuredSecret(ws, host), secret, 'the same CLI secret as at sign-in');
    const docker = await dockerInspect(ws, web.imageRef);
    assert.equal(docker.code, 0, `docker reads the image after ${10 * W} s: ${docker.stderr}`);
    assert.equal(await storedSecret(ws, name, 'refresh-token'), null, 'Berth holds no session of its own');
    const status = statusJson((await ws.berth('status', name, '--json')).stdout);
    assert.equal(status.method, 'web');
    assert.equal(status.state, 'valid');
    assertNoSecretsLeaked(web, ws);
  });

  test('Harbor’s web login: left alone past W, needs-web-login with Harbor’s login; valid after one web login', async () => {
    const { ws, name } = await signedInThenIdle();
    const refresh = await ws.berth('refresh', name, '--json');
    assert.equal(refresh.code, 1);
    const status = statusJson(refresh.stdout);
    assert.equal(status.state, 'needs-web-login');
    assert.equal(status.actionUrl, `${web.harbor.url}/c/oidc/login`);
    assert.match(status.lastError as string, /rejects the CLI secret of wilma: Harbor's own session has expired.*berth login .* takes the secret from your User Profile.*log in once at http/);

    await web.webLogin('wilma');
    const revived = await ws.berth('refresh', name, '--json');
    assert.equal(revived.code, 0, revived.stderr);
    assert.equal(statusJson(revived.stdout).state, 'valid');
    assert.equal((await dockerInspect(ws, web.imageRef)).code, 0);
    assertNoSecretsLeaked(web, ws);

    async function signedInThenIdle() {
      const signed = await webSignedIn('wilma');
      await sleep((W + 2) * 1000);
      assert.notEqual((await dockerInspect(signed.ws, web.imageRef)).code, 0, 'Harbor’s session idled out');
      return signed;
    }
  });

  test('kept alive every W/3, the CLI secret and Berth’s own session still work after 10·W', async () => {
    const ws = workspace();
    const name = uniqueName('alice');
    const host = new URL(rig.harbor.url).host;
    assert.equal((await ws.berth(...addArgs(rig, name, ...shortWindows(W / passesPerWindow, W)))).code, 0);
    const login = await cliLogin(ws, name, 'alice');
    assert.equal(login.code, 0, login.stderr);
    const secret = configuredSecret(ws, host);

    const keepalive = startKeepalive(ws);
    const refreshTokens = new Set<string>();
    const until = Date.now() + 10 * W * 1000;
    while (Date.now() < until) {
      refreshTokens.add((await storedSecret(ws, name, 'refresh-token')) ?? '');
      await sleep(250);
    }
    const stopped = await keepalive.stop();
    assert.equal(stopped.code, 0, stopped.stderr);

    const passes = keepalive.lines.filter((line) => line.includes(`  ${name}  `));
    assert.ok(passes.length >= fewestPasses, `about one pass every ${W / passesPerWindow} s: ${passes.length} in ${10 * W} s`);
    assert.deepEqual(passes.filter((line) => !line.includes(`  valid  `)), [], `every pass kept both sessions alive (W = ${W} s; refresh-token reuses: ${rig.idp.refreshTokenReuses.join(', ') || 'none'}):\n${passes.join('\n')}`);

    assert.equal(configuredSecret(ws, host), secret, 'the same CLI secret as at sign-in');
    const docker = await dockerInspect(ws, rig.imageRef);
    assert.equal(docker.code, 0, `docker reads the image after ${10 * W} s: ${docker.stderr}`);

    const refreshToken = await storedSecret(ws, name, 'refresh-token');
    assert.ok(refreshToken && (await rig.idp.refreshTokenActive(refreshToken)), 'Berth’s own session is alive');
    assert.ok(refreshTokens.size >= fewestPasses / 2, `the refresh token rotated on every pass (${refreshTokens.size} seen)`);
    assert.deepEqual(rig.idp.refreshTokenReuses, [], 'no refresh token was ever used twice');

    const status = statusJson((await ws.berth('status', name, '--json')).stdout);
    assert.equal(status.state, 'valid');
    const keptAt = Date.parse(status.lastKeptAliveAt as string);
    assert.ok(Date.now() - keptAt < W * 1000, 'kept alive within the last idle window');
    assert.equal(Date.parse(status.idleDeadline as string), keptAt + W * 1000, 'the idle deadline is one window after the last pass');
    assertNoSecretsLeaked(rig, ws);
  });

  test('left alone past W, both sessions die: needs-sign-in, and one `berth login` brings both back', async () => {
    const { ws, name } = await signedIn(rig, 'bob', ...shortWindows(W / passesPerWindow, W));
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
    const { ws, name } = await signedIn(split, 'carol', ...shortWindows(W / passesPerWindow, W));
    await sleep((W + 2) * 1000);
    assert.notEqual((await dockerInspect(ws, split.imageRef)).code, 0, 'Harbor’s session idled out');

    const keepalive = startKeepalive(ws, '--json');
    await waitFor('the start-up pass finds Harbor’s session dead', () => storedStatus(ws, name).state === 'needs-web-login', 15_000 + W * 1000);
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
    // One re-check is the interval plus the few seconds a rejected secret is given before Harbor's session counts as dead.
    const oneRecheckMs = (W / passesPerWindow) * 1000 + 3_000;
    const waited = await waitFor('Berth notices the web login', () => storedStatus(ws, name).state === 'valid', 4 * oneRecheckMs);
    assert.ok(waited < 2 * oneRecheckMs, `noticed within one re-check (${waited} ms)`);
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
