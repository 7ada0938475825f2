import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { BridgePlatform } from '../../main/api/bridge.js';
import { createNodeApi } from '../../main/api/node.js';
import { CookieJar, drive } from '../rig/browser-driver.js';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { assertNoSecretsLeaked, projectRoot, storedSecret, uniqueName, waitFor, workspace } from '../helpers/berth.js';
import { desktopShell } from '../helpers/desktop.js';
import { launchChromium, openWindow, serveRenderer } from '../helpers/window.js';

const outputDir = join(projectRoot, 'test', 'output');

function shot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(outputDir, `provider-session-${name}.png`), fullPage: true });
}

/** Like the system browser: opening returns at once while the person signs in at the provider. */
function browserAs(login: string): BridgePlatform {
  const jar = new CookieJar();
  return {
    openBrowser: async (url) => {
      void drive(url, { login, jar });
    },
    openExternal: async () => undefined,
    startAtLogin: { get: () => false, set: () => undefined },
    desktop: desktopShell(),
  };
}

describe("the window on Berth's own session at the identity provider, in real Chromium", { skip: unless('chromium', 'docker-registry', 'openssl', 'keyring') }, () => {
  // A provider that can neither revoke a refresh token nor log a session out.
  let rig: Rig;
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveRenderer>>;
  before(async () => {
    [rig, browser, server] = await Promise.all([startRig({ provider: { revocation: false, logout: false } }), launchChromium(), serveRenderer()]);
    await rig.webLogin('erin');
    mkdirSync(outputDir, { recursive: true });
  });
  after(() => Promise.all([rig?.stop(), browser?.close(), server?.close()]));

  test('a sign-out the provider cannot complete says so on the card and in the activity list', async () => {
    const ws = workspace();
    const api = createNodeApi(ws.env);
    const name = uniqueName('erin');
    await api.addRegistry({ name, url: rig.harbor.url, clientId: rig.berthClientId });
    await api.signIn(name, { openBrowser: browserAs('erin').openBrowser });
    const lingering = (await storedSecret(ws, name, 'refresh-token')) as string;
    const window = await openWindow(browser, api, browserAs('erin'), server.origin);
    const { page } = window;
    const card = page.locator(`article[data-registry="${name}"]`);
    try {
      await page.goto(`${server.origin}/index.html`);
      await card.getByRole('status').filter({ hasText: 'Valid' }).waitFor();
      await card.getByRole('button', { name: /^More actions for / }).click();
      await card.getByRole('menuitem', { name: 'Sign out' }).click();
      await card.getByRole('status').filter({ hasText: 'Signed out' }).waitFor();
      const note = card.getByRole('note');
      await note.waitFor();
      const words = await note.innerText();
      assert.match(words, /^Berth could not end its session at the identity provider at 127\.0\.0\.1:\d+: it offers neither a revocation nor a logout endpoint\./, 'what happened');
      assert.match(words, /Berth deleted its own copy, but the provider keeps the session valid until it expires there, which can take weeks\./, 'what it means');
      assert.match(words, /To end it sooner, sign out of your sessions in the provider's account page, or ask its administrator to end them\.$/, 'what to do');
      await page.getByRole('listitem').filter({ hasText: 'Signed out. Berth could not end its session at the identity provider' }).waitFor();
      assert.equal(await card.getByRole('alert').count(), 0, 'a sign-out that happened is not shown as a failure');
      assert.equal(await card.locator('.fact').filter({ hasText: 'Berth’s own session' }).getByRole('definition').innerText(), '—', 'no session of Berth’s own to describe');
      assert.equal(await rig.idp.refreshTokenActive(lingering), true, 'the words are true: the provider still honours the session');
      await shot(page, '1-signed-out-session-lingers');

      // The next sign-in starts afresh: the words about the old session go.
      await card.getByRole('button', { name: 'Sign in', exact: true }).click();
      await card.getByRole('status').filter({ hasText: 'Valid' }).waitFor({ timeout: 60_000 });
      assert.equal(await card.getByRole('note').count(), 0);

      // The provider ends Berth's session: the card says it ended rather than when it would have.
      rig.idp.refreshErrors.set(rig.berthClientId, 'invalid_grant');
      try {
        await api.refresh(name);
      } finally {
        rig.idp.refreshErrors.delete(rig.berthClientId);
      }
      await card.getByRole('status').filter({ hasText: 'Sign-in needed' }).waitFor();
      assert.equal(await card.locator('.fact').filter({ hasText: 'Berth’s own session' }).getByRole('definition').innerText(), 'ended');

      const crossed = JSON.stringify(window.traffic);
      for (const secret of rig.secrets()) assert.ok(!crossed.includes(secret), `a secret of length ${secret.length} crossed the bridge`);
      assertNoSecretsLeaked(rig, ws);
    } finally {
      await window.close();
    }
  });

  test('a session with a fixed end shows the date and that renewing cannot extend it', async () => {
    const ws = workspace();
    const api = createNodeApi(ws.env);
    const window = await openWindow(browser, api, browserAs('erin'), server.origin);
    const { page } = window;
    const card = page.locator('article[data-registry]');
    try {
      await page.goto(`${server.origin}/index.html`);
      await page.getByRole('button', { name: 'Add registry…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add a Harbor registry' });
      await dialog.getByLabel('Harbor URL').fill(rig.harbor.url);
      await dialog.getByRole('button', { name: 'Look up' }).click();
      await dialog.getByText('Single sign-on', { exact: true }).waitFor();
      // The administrator knows this provider ends sessions two days after sign-in, and says so in the profile.
      const profile = { issuer: rig.idp.issuer, clientId: rig.berthClientId, maxSessionDays: 2 };
      await dialog.getByLabel('Import profile…').setInputFiles({ name: 'corp.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(profile)) });
      await waitFor('the profile filled in the client id', async () => (await dialog.getByLabel('Client id').inputValue()) === rig.berthClientId, 10_000);
      await dialog.getByRole('button', { name: 'Add and sign in' }).click();
      await card.getByRole('status').filter({ hasText: 'Expiring' }).waitFor({ timeout: 60_000 });

      const [view] = api.listRegistries();
      assert.ok(view?.sessionExpiresAt && view.sessionFixed, 'the core holds a fixed end');
      const end = Date.parse(view.sessionExpiresAt);
      assert.ok(Math.abs(end - (Date.now() + 2 * 86_400_000)) < 60_000, `two days after sign-in: ${view.sessionExpiresAt}`);
      const shown = card.locator('.fact').filter({ hasText: 'Berth’s own session' }).getByRole('definition');
      const date = await page.evaluate((at) => new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(at)), view.sessionExpiresAt);
      assert.equal(await shown.innerText(), `ends on ${date}; renewing cannot extend it`);
      assert.equal(await shown.locator('time').getAttribute('datetime'), view.sessionExpiresAt);
      assert.match(await card.innerText(), /docker still works, but the login expires soon\./, 'warned about like any other expiry');
      await shot(page, '2-fixed-session-end');
    } finally {
      await window.close();
    }
  });
});
