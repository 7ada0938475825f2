import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createNodeApi } from '../../main/api/node.js';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { assertNoSecretsLeaked, dockerConfigJson, dockerInspect, projectRoot, skopeoInspect, storedSecret, type Workspace, uniqueName, workspace } from '../helpers/berth.js';
import { chromiumWindows, signsInAs } from '../helpers/chromium-windows.js';
import { launchChromium } from '../helpers/window.js';

const outputDir = join(projectRoot, 'test', 'output');

function configuredSecret(ws: Workspace, host: string): string {
  const auths = dockerConfigJson(ws).auths as Record<string, { auth?: string }>;
  return Buffer.from(auths[host]?.auth ?? '', 'base64').toString().split(':').slice(1).join(':');
}

describe("sign-in through Harbor's web login, with nothing registered for Berth at the identity provider", { skip: unless('chromium', 'docker-registry', 'docker', 'skopeo', 'openssl', 'keyring') }, () => {
  let rig: Rig;
  // Harbor refreshes its stored session at the provider on every use of a CLI secret, so a brief failure there shows at once.
  let everyUse: Rig;
  let browser: Browser;
  before(async () => {
    [rig, everyUse, browser] = await Promise.all([startRig({ berthClient: false }), startRig({ berthClient: false, harborRefreshesOnEveryUse: true }), launchChromium()]);
    mkdirSync(outputDir, { recursive: true });
  });
  after(() => Promise.all([rig?.stop(), everyUse?.stop(), browser?.close()]));

  test('added by URL alone, signed in in Chromium, read by docker and skopeo; regenerated through the web session, which logs in again once it has expired', async () => {
    const ws = workspace();
    const name = uniqueName('wendy');
    const host = new URL(rig.harbor.url).host;
    const windows = chromiumWindows(browser, signsInAs('wendy'));
    const api = createNodeApi(ws.env, { webWindows: windows });

    // The URL is all Berth is given; the identity provider is found from Harbor's own login redirect.
    const added = await api.addRegistry({ name, url: rig.harbor.url });
    assert.deepEqual(added.warnings, []);
    assert.equal(added.view.method, 'web');
    assert.equal(added.view.can.pasteSecret, true);
    const probe = await api.probeHarbor(rig.harbor.url);
    assert.equal(probe.issuer, rig.idp.issuer);
    assert.equal(probe.harborClientId, rig.harborClientId);
    assert.equal(probe.existing, name);

    // wendy has never used Harbor: the web login onboards her, and Berth reads her CLI secret from that session.
    const view = await api.signIn(name, { openBrowser: () => assert.fail('the web method never opens the system browser') });
    assert.equal(view.state, 'valid');
    assert.equal(view.username, 'wendy');
    assert.equal(view.method, 'web');
    assert.deepEqual(windows.opened, [`${rig.harbor.url}/c/oidc/login`]);
    assert.equal(rig.idp.loginPrompts, 1, 'wendy typed her password once, at the identity provider');
    assert.ok(!rig.idp.grants.includes(rig.berthClientId), 'no token was ever issued to a Berth client');
    const firstSecret = rig.harbor.user('wendy')?.secret as string;
    assert.equal(configuredSecret(ws, host), firstSecret);
    assert.equal(await storedSecret(ws, name, 'cli-secret'), firstSecret);
    for (const read of [dockerInspect, skopeoInspect]) {
      const result = await read(ws, rig.imageRef);
      assert.equal(result.code, 0, result.stderr);
    }

    // Harbor's CSRF rule holds for the session Berth uses: a change that carries the session cookie and no token is refused.
    const cookies = (await windows.cookies(name, rig.harbor.url)).map(({ name: cookie, value }) => `${cookie}=${value}`).join('; ');
    const forged = await fetch(`${rig.harbor.url}/api/v2.0/users/${rig.harbor.user('wendy')?.userId}/cli_secret`, {
      method: 'PUT',
      headers: { cookie: cookies, 'content-type': 'application/json' },
      body: JSON.stringify({ secret: 'Forged1Secret' }),
    });
    assert.equal(forged.status, 403);
    assert.deepEqual(await forged.json(), { errors: [{ code: 'FORBIDDEN', message: 'CSRF token not found in request' }] });
    assert.equal(rig.harbor.user('wendy')?.secret, firstSecret);

    // Regenerate while Harbor's web session lives: no window, the CSRF token from Harbor's own answer.
    const refusals = rig.harbor.csrfRefusals;
    const regenerated = await api.regenerate(name);
    assert.equal(regenerated.state, 'valid');
    const secondSecret = rig.harbor.user('wendy')?.secret as string;
    assert.notEqual(secondSecret, firstSecret);
    assert.match(secondSecret, /^[A-Za-z0-9]{32}$/);
    assert.equal(configuredSecret(ws, host), secondSecret);
    assert.equal(windows.opened.length, 1, 'no window for a live web session');
    assert.equal(rig.harbor.csrfRefusals, refusals, 'Berth sent the CSRF token');
    assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0);

    // Harbor's web session idles out: regenerate opens Harbor's login again, which the provider's SSO session passes through.
    rig.harbor.expireWebSessions('wendy');
    const again = await api.regenerate(name);
    assert.equal(again.state, 'valid');
    assert.deepEqual(windows.opened, [`${rig.harbor.url}/c/oidc/login`, `${rig.harbor.url}/c/oidc/login`]);
    assert.equal(rig.idp.loginPrompts, 1, 'no second password: the identity provider still knew wendy');
    const thirdSecret = rig.harbor.user('wendy')?.secret as string;
    assert.notEqual(thirdSecret, secondSecret);
    assert.equal(configuredSecret(ws, host), thirdSecret);
    const docker = await dockerInspect(ws, rig.imageRef);
    assert.equal(docker.code, 0, docker.stderr);
    await windows.pages.at(-1)?.screenshot({ path: join(outputDir, 'web-signin-harbor.png') }).catch(() => undefined);

    // Signing out forgets the browser session too.
    const signedOut = await api.signOut(name);
    assert.deepEqual(signedOut, { revoked: false, warnings: [] });
    assert.deepEqual(await windows.cookies(name, rig.harbor.url), []);
    assert.equal(await storedSecret(ws, name, 'cli-secret'), null);
    assertNoSecretsLeaked(rig, ws);
  });

  test('signed in through the window, a brief failure of Harbor’s refresh is asked about again before Berth says Harbor’s session is dead', async () => {
    const ws = workspace();
    const name = uniqueName('wanda');
    const windows = chromiumWindows(browser, signsInAs('wanda'));
    const api = createNodeApi(ws.env, { webWindows: windows });
    await api.addRegistry({ name, url: everyUse.harbor.url });
    everyUse.harbor.failingRefreshes = 1;
    const from = everyUse.harbor.requestLog.length;
    const view = await api.signIn(name, { openBrowser: () => assert.fail('the web method never opens the system browser') });
    assert.equal(view.state, 'valid', view.lastError ?? '');
    assert.equal(everyUse.harbor.failingRefreshes, 0, 'the brief failure was used up');
    const uses = everyUse.harbor.requestTimes.slice(from).filter((_, i) => everyUse.harbor.requestLog[from + i] === 'GET /service/token');
    assert.equal(uses.length, 2, 'one rejection, one re-check that Harbor passed');
    const gap = (uses[1] as number) - (uses[0] as number);
    assert.ok(gap >= 2500, `the re-check came ${gap} ms after the rejection (Berth waits 3 s; a busy machine only waits longer)`);
    assert.deepEqual(windows.opened, [`${everyUse.harbor.url}/c/oidc/login`], 'one window: Harbor’s session was alive all along');
    assert.equal((await dockerInspect(ws, everyUse.imageRef)).code, 0);
  });

  test('breaking off a sign-in before its window exists: no window stays open, and nothing is recorded as a failure', async () => {
    const ws = workspace();
    const name = uniqueName('vera');
    const windows = chromiumWindows(browser, async () => undefined);
    const api = createNodeApi(ws.env, { webWindows: windows });
    await api.addRegistry({ name, url: rig.harbor.url });
    // Broken off at once: Berth is still asking Harbor about itself when the person chooses to paste the secret instead.
    const signingIn = api.signIn(name, { openBrowser: async () => undefined });
    api.cancelSignIn(name);
    await assert.rejects(signingIn, /The sign-in to .* was broken off; nothing changed/);
    assert.ok(windows.pages.every((page) => page.isClosed()), 'no sign-in window is left open');
    const [view] = api.status(name);
    assert.equal(view?.state, 'signed-out');
    assert.equal(view?.lastError, null);
  });

  test('closing the window ends the wait at once and changes nothing', async () => {
    const ws = workspace();
    const name = uniqueName('walt');
    const windows = chromiumWindows(browser, async (page) => {
      // The person looks at the identity provider's login page and closes the window.
      if ((await page.locator('input[name="login"]').count()) > 0) await page.close();
    });
    const api = createNodeApi(ws.env, { webWindows: windows });
    await api.addRegistry({ name, url: rig.harbor.url });
    const started = Date.now();
    await assert.rejects(api.signIn(name, { openBrowser: async () => undefined }), /The Harbor window for .* was closed before the login finished; nothing changed/);
    assert.ok(Date.now() - started < 30_000);
    const [view] = api.status(name);
    assert.equal(view?.state, 'signed-out');
    assert.equal(view?.lastError, null, 'a window the person closed is not an error on the registry');
  });
});
