import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNodeApi } from '../../main/api/node.js';
import { drive } from '../rig/browser-driver.js';
import { unless } from '../rig/components.js';
import { harborVersions, type HarborVersion } from '../rig/harbor-double.js';
import { startRig, type Rig } from '../rig/index.js';
import { cliLogin, dockerInspect, storedSecret, storedStatus, uniqueName, workspace, type Workspace } from '../helpers/berth.js';

/** When Berth used a CLI secret on Harbor's token service, from the double's log entry `from` on. */
function secretUsesSince(rig: Rig, from: number): number[] {
  return rig.harbor.requestTimes.slice(from).filter((_, i) => rig.harbor.requestLog[from + i] === 'GET /service/token');
}

/** One rejection, then one re-check at least 2.5 s later (Berth waits 3 s; a busy machine only makes it later) that Harbor passed. */
function rejectedThenRechecked(rig: Rig, from: number): void {
  const uses = secretUsesSince(rig, from);
  assert.equal(uses.length, 2, 'one rejection, one re-check that Harbor passed');
  assert.equal(rig.harbor.failingRefreshes, 0, 'the brief failure was used up');
  const gap = (uses[1] as number) - (uses[0] as number);
  assert.ok(gap >= 2500, `the re-check came ${gap} ms after the rejection`);
}

/** Added by URL alone and signed in with the CLI secret the user copied from Harbor. */
async function webSignedIn(rig: Rig, user: string): Promise<{ ws: Workspace; name: string; login: { code: number; stderr: string; stdout: string } }> {
  const ws = workspace();
  const name = uniqueName(user);
  const add = await ws.berth('add', 'harbor', name, '--url', rig.harbor.url);
  assert.equal(add.code, 0, add.stderr);
  const login = await ws.berthWithInput(rig.harbor.user(user)?.secret as string, 'login', name, '--username', user, '--secret-stdin', '--json');
  return { ws, name, login };
}

describe('Harbor as its versions really answer', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  const rigs = new Map<HarborVersion, Rig>();
  let onlineScope: Rig;
  before(async () => {
    const started = await Promise.all([...harborVersions.map((version) => startRig({ harborVersion: version, berthClient: false })), startRig({ harborScope: 'openid profile email' })]);
    harborVersions.forEach((version, i) => rigs.set(version, started[i] as Rig));
    onlineScope = started.at(-1) as Rig;
    await Promise.all([...started.map((rig) => rig.webLogin('alice'))]);
  });
  after(() => Promise.all([...rigs.values(), onlineScope].map((rig) => rig?.stop())));

  for (const version of harborVersions) {
    test(`Harbor ${version}: the probe reads what this version shows anonymously, and a Harbor added by URL signs in`, async () => {
      const rig = rigs.get(version) as Rig;
      const ws = workspace();
      const probe = await createNodeApi(ws.env).probeHarbor(rig.harbor.url);
      assert.equal(probe.authMode, 'oidc_auth');
      assert.equal(probe.oidcProviderName, version === '2.7' ? null : 'rig-idp', 'oidc_provider_name exists from 2.10');
      assert.equal(probe.harborVersion, version === '2.13' ? null : `v${version}.0-double`, 'harbor_version is anonymous only before 2.13');
      assert.equal(probe.issuer, rig.idp.issuer);
      const { ws: signed, login } = await webSignedIn(rig, 'alice');
      assert.equal(login.code, 0, login.stderr);
      assert.equal((await dockerInspect(signed, rig.imageRef)).code, 0);
    });
  }

  test('/service/token answers 401 (no credentials, no scope) and 400 (unknown service) with an empty body, as Harbor does', async () => {
    const rig = rigs.get('2.13') as Rig;
    for (const [query, status] of [['service=harbor-registry', 401], ['service=elsewhere', 400]] as const) {
      const response = await fetch(`${rig.harbor.url}/service/token?${query}`);
      assert.equal(response.status, status);
      assert.equal(await response.text(), '');
    }
    const missing = await fetch(`${rig.harbor.url}/v2/demo/nope/tags/list`, {
      headers: { authorization: `Bearer ${((await (await fetch(`${rig.harbor.url}/service/token?service=harbor-registry&scope=repository:demo/nope:pull`, { headers: { authorization: `Basic ${Buffer.from(`admin:Harbor12345`).toString('base64')}` } })).json()) as { token: string }).token}` } },
    );
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { errors: [{ code: 'NOT_FOUND', message: 'repository demo/nope not found' }] });
  });

  test('a Harbor without offline_access in its scope is warned about at sign-in too, with either method, naming Harbor’s admin setting, and the warning stays on the registry', async () => {
    const { ws, name, login } = await webSignedIn(onlineScope, 'alice');
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /warning: Harbor at 127\.0\.0\.1:\d+ asks its identity provider for "openid profile email" without offline_access/);
    assert.match((JSON.parse(login.stdout) as { notice: string }).notice, /The Harbor administrator fixes this by adding offline_access to the OIDC scope \(Administration → Configuration → Authentication\)/);
    assert.match((await ws.berth('status', name)).stdout, /note: Harbor at .* without offline_access/);

    // Berth's own client (method oidc) signs in at the same provider; Harbor's session is still Harbor's, and so is the warning.
    const own = workspace();
    const ownName = uniqueName('alice');
    const add = await own.berth('add', 'harbor', ownName, '--url', onlineScope.harbor.url, '--client-id', onlineScope.berthClientId);
    assert.equal(add.code, 0, add.stderr);
    const signIn = await cliLogin(own, ownName, 'alice');
    assert.equal(signIn.code, 0, signIn.stderr);
    const warning = /^warning: (.*)$/m.exec(signIn.stderr)?.[1] ?? '';
    assert.match(warning, /^Harbor at 127\.0\.0\.1:\d+ asks its identity provider for "openid profile email" without offline_access, so Harbor keeps only a browser-bound session/);
    assert.match(warning, /The Harbor administrator fixes this by adding offline_access to the OIDC scope \(Administration → Configuration → Authentication\)\.$/);
    const shown = (JSON.parse((await own.berth('status', ownName, '--json')).stdout) as { method: string; state: string; notice: string }[])[0];
    assert.deepEqual([shown?.method, shown?.state, shown?.notice], ['oidc', 'valid', warning]);
  });

  test('Harbor without offline_access gets what Keycloak gives it: an online session whose refresh token lives as long as the SSO session (30 minutes idle), which keeps the CLI secret working meanwhile', async () => {
    const stored = onlineScope.harbor.user('alice')?.token.refreshToken;
    assert.ok(stored, 'Harbor holds a refresh token for its online session');
    const token = await onlineScope.idp.provider.RefreshToken.find(stored);
    assert.ok(token && !token.isExpired, 'which the provider honours');
    assert.ok(!token.scope?.split(' ').includes('offline_access'), `an online session: ${token.scope}`);
    const left = (token.exp ?? 0) - Date.now() / 1000;
    assert.ok(left > 25 * 60 && left <= 30 * 60, `it ends with the SSO session's idle time: ${Math.round(left)} s left`);
    // Harbor's access token expires (5 minutes): the secret's use makes Harbor refresh with the online session's token.
    const { ws, login } = await webSignedIn(onlineScope, 'alice');
    assert.equal(login.code, 0, login.stderr);
    const grants = onlineScope.idp.grants.length;
    onlineScope.harbor.expireAccessToken('alice');
    assert.equal((await dockerInspect(ws, onlineScope.imageRef)).code, 0);
    assert.ok(onlineScope.idp.grants.slice(grants).includes(onlineScope.harborClientId), 'Harbor refreshed its online session at the provider');
  });

  test('a brief failure of Harbor’s own refresh is asked about again, a few seconds later, before Berth says Harbor’s session is dead', async () => {
    const rig = rigs.get('2.13') as Rig;
    const { ws, name, login } = await webSignedIn(rig, 'alice');
    assert.equal(login.code, 0, login.stderr);
    rig.harbor.expireAccessToken('alice');
    rig.harbor.failingRefreshes = 1;
    const from = rig.harbor.requestLog.length;
    const refresh = await ws.berth('refresh', name, '--json');
    assert.equal(refresh.code, 0, refresh.stdout + refresh.stderr);
    assert.equal((JSON.parse(refresh.stdout) as { state: string }[])[0]?.state, 'valid');
    rejectedThenRechecked(rig, from);
  });

  test('a pasted CLI secret meeting a brief failure of Harbor’s refresh is checked again before it is refused', async () => {
    const rig = rigs.get('2.13') as Rig;
    await rig.webLogin('pia');
    const ws = workspace();
    const name = uniqueName('pia');
    assert.equal((await ws.berth('add', 'harbor', name, '--url', rig.harbor.url)).code, 0);
    rig.harbor.expireAccessToken('pia');
    rig.harbor.failingRefreshes = 1;
    const from = rig.harbor.requestLog.length;
    const secret = rig.harbor.user('pia')?.secret as string;
    const login = await ws.berthWithInput(secret, 'login', name, '--username', 'pia', '--secret-stdin', '--json');
    assert.equal(login.code, 0, login.stderr);
    assert.equal((JSON.parse(login.stdout) as { state: string }).state, 'valid');
    rejectedThenRechecked(rig, from);
    assert.equal(await storedSecret(ws, name, 'cli-secret'), secret);
  });
});

describe("Harbor's first rejection at sign-in and after regenerate, and reviving Harbor's session", { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
    await Promise.all(['bob', 'cleo', 'rex'].map((user) => rig.webLogin(user)));
  });
  after(() => rig?.stop());

  test('signing in with Berth’s own client: a brief failure of Harbor’s refresh is asked about again before Harbor’s web login is opened', async () => {
    const ws = workspace();
    const name = uniqueName('cleo');
    const api = createNodeApi(ws.env);
    await api.addRegistry({ name, url: rig.harbor.url, clientId: rig.berthClientId });
    rig.harbor.expireAccessToken('cleo');
    rig.harbor.failingRefreshes = 1;
    const opened: string[] = [];
    let person: Promise<unknown> = Promise.resolve();
    const from = rig.harbor.requestLog.length;
    const view = await api.signIn(name, {
      timeoutMs: 60_000,
      openBrowser: async (url) => {
        opened.push(new URL(url).pathname);
        person = drive(url, { login: 'cleo' });
      },
    });
    await person;
    assert.equal(view.state, 'valid', view.lastError ?? '');
    assert.deepEqual(opened, ['/auth'], "only the identity provider's login: no Harbor web login for a session that was alive");
    rejectedThenRechecked(rig, from);
  });

  test('regenerate: a brief failure of Harbor’s refresh when the new secret is checked is asked about again before Harbor’s session is called dead', async () => {
    const ws = workspace();
    const name = uniqueName('rex');
    assert.equal((await ws.berth('add', 'harbor', name, '--url', rig.harbor.url, '--client-id', rig.berthClientId)).code, 0);
    assert.equal((await cliLogin(ws, name, 'rex')).code, 0);
    const old = rig.harbor.user('rex')?.secret;
    rig.harbor.expireAccessToken('rex');
    rig.harbor.failingRefreshes = 1;
    const from = rig.harbor.requestLog.length;
    const regenerated = await ws.berth('regenerate', name, '--yes', '--json');
    assert.equal(regenerated.code, 0, regenerated.stdout + regenerated.stderr);
    assert.equal((JSON.parse(regenerated.stdout) as { state: string }).state, 'valid');
    assert.notEqual(rig.harbor.user('rex')?.secret, old);
    rejectedThenRechecked(rig, from);
    assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0, 'docker uses the new secret');
  });

  test('while Harbor’s web login is pending, Berth asks Harbor every few seconds, not every second', async () => {
    const ws = workspace();
    const name = uniqueName('bob');
    const api = createNodeApi(ws.env);
    await api.addRegistry({ name, url: rig.harbor.url, clientId: rig.berthClientId });
    rig.harbor.expireSession('bob');
    const uses = () => rig.harbor.requestLog.filter((line) => line === 'GET /service/token').length;
    let webLoginOpenedAt = 0;
    let usesAtWebLogin = 0;
    let person: Promise<unknown> = Promise.resolve();
    const view = await api.signIn(name, {
      timeoutMs: 60_000,
      openBrowser: async (url) => {
        if (new URL(url).pathname === '/c/oidc/login') {
          // The person takes ten seconds to notice the second tab.
          webLoginOpenedAt = Date.now();
          usesAtWebLogin = uses();
          person = sleep(10_000).then(() => drive(url, { login: 'bob' }));
        } else {
          person = drive(url, { login: 'bob' });
        }
      },
    });
    await person;
    assert.equal(view.state, 'valid');
    const seconds = (Date.now() - webLoginOpenedAt) / 1000;
    const asked = uses() - usesAtWebLogin;
    assert.ok(asked <= Math.ceil(seconds / 3) + 1, `asked Harbor ${asked} times in ${seconds.toFixed(1)} s`);
    // Berth looks once a second after opening the login, then waits 3 s between looks; a busy machine only widens the gaps.
    const looks = rig.harbor.requestTimes.filter((at, i) => at >= webLoginOpenedAt && rig.harbor.requestLog[i] === 'GET /service/token');
    assert.ok(looks.length >= 2, `one look before the login ten seconds in, at least one after: ${looks.length}`);
    const gaps = looks.slice(1).map((at, i) => at - (looks[i] as number));
    assert.ok(gaps.every((gap) => gap >= 2500), `the looks came ${gaps.join(', ')} ms apart`);
    assert.equal(storedStatus(ws, name).state, 'valid');
  });
});
