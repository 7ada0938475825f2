import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import type { BridgePlatform } from '../../main/api/bridge.js';
import { createNodeApi } from '../../main/api/node.js';
import { autostartFile, xdgStartAtLogin } from '../../main/app/autostart.js';
import { CookieJar, drive } from '../rig/browser-driver.js';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { assertNoSecretsLeaked, dockerConfigJson, dockerInspect, projectRoot, storedSecret, workspace } from '../helpers/berth.js';
import { chromiumWindows, signsInAs } from '../helpers/chromium-windows.js';
import { launchChromium, openWindow, serveRenderer } from '../helpers/window.js';
import { desktopShell } from '../helpers/desktop.js';
import { jargonIn } from '../helpers/plain-words.js';

const outputDir = join(projectRoot, 'test', 'output');

function basicSecret(ws: ReturnType<typeof workspace>, host: string): string {
  const auths = dockerConfigJson(ws).auths as Record<string, { auth: string }>;
  const entry = auths[host];
  assert.ok(entry, `config.json has an entry for ${host}`);
  return Buffer.from(entry.auth, 'base64').toString().split(':').slice(1).join(':');
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(outputDir, `window-${name}.png`), fullPage: true });
}

describe('the window in real Chromium, on the real core and the rig', { skip: unless('chromium', 'docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  let rig: Rig;
  // Nothing registered for Berth at the identity provider: only Harbor's own web login works.
  let webRig: Rig;
  // A Harbor whose administrator left offline_access out of its OIDC scope.
  let onlineRig: Rig;
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveRenderer>>;
  before(async () => {
    [rig, webRig, onlineRig, browser, server] = await Promise.all([
      startRig(),
      startRig({ berthClient: false }),
      startRig({ berthClient: false, harborScope: 'openid profile email' }),
      launchChromium(),
      serveRenderer(),
    ]);
    await rig.webLogin('dana');
    mkdirSync(outputDir, { recursive: true });
  });
  after(() => Promise.all([rig?.stop(), webRig?.stop(), onlineRig?.stop(), browser?.close(), server?.close()]));

  test('add a Harbor, sign in, see the countdown, regenerate, check an image, and watch the badge when Harbor drops the session', async () => {
    const ws = workspace();
    const api = createNodeApi(ws.env);
    const host = new URL(rig.harbor.url).host;
    const jar = new CookieJar();
    const opened: string[] = [];
    const desktop = desktopShell();
    const platform: BridgePlatform = {
      // Like the system browser: opening returns at once while the person signs in at the provider.
      openBrowser: async (url) => {
        void drive(url, { login: 'dana', jar });
      },
      openExternal: async (url) => {
        opened.push(url);
      },
      startAtLogin: xdgStartAtLogin(autostartFile({ XDG_CONFIG_HOME: join(ws.home, 'config') }), ['/opt/Berth/berth', '--hidden']),
      desktop,
    };
    const window = await openWindow(browser, api, platform, server.origin);
    // As in the app's main process, the scheduler plans the next keep-alive.
    const keepAlive = api.keepAliveScheduler();
    keepAlive.start();
    const { page } = window;
    const card = page.locator('article[data-registry]');
    const badge = card.getByRole('status').first();
    try {
      await page.goto(`${server.origin}/index.html`);
      await page.getByText('No registries yet').waitFor();
      await shot(page, '1-empty');

      // Add: the URL first; Berth shows what the Harbor told it.
      await page.getByRole('button', { name: 'Add registry…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add a Harbor registry' });
      await dialog.getByLabel('Harbor URL').fill(rig.harbor.url);
      await dialog.getByRole('button', { name: 'Look up' }).click();
      const findings = dialog.getByRole('definition');
      await dialog.getByText('Single sign-on', { exact: true }).waitFor();
      assert.deepEqual(await findings.allInnerTexts(), [host, 'Single sign-on', `rig-idp at ${new URL(rig.idp.issuer).host}`, host]);
      // What Berth found, in plain words; the technical terms are in the tooltips.
      assert.equal(jargonIn(await dialog.innerText()), null);
      assert.match((await dialog.getByText('Docker logs in at').getAttribute('title')) ?? '', /Harbor's token service/);
      assert.match((await dialog.getByText('Signs you in').getAttribute('title')) ?? '', /OIDC identity provider \(its issuer\)/);
      assert.match((await dialog.getByText('Sign-in', { exact: true }).getAttribute('title')) ?? '', /oidc_auth \(OpenID Connect\)/);
      // The issuer and client id come from the administrator's profile, which also names a server for Berth's updates.
      const profile = { issuer: rig.idp.issuer, clientId: rig.berthClientId, authParams: { prompt: 'consent' }, updateUrl: 'https://updates.example.org/berth' };
      await dialog.getByLabel('Import profile…').setInputFiles({ name: 'corp.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(profile)) });
      await dialog.getByRole('note').filter({ hasText: 'The profile also names a server for Berth’s own updates, updates.example.org. Berth asks you once this registry is added.' }).waitFor();
      assert.deepEqual(desktop.offered, [], 'picking the file asks nothing yet');
      await assertValue(dialog.getByLabel('Issuer (identity provider URL)'), rig.idp.issuer);
      await assertValue(dialog.getByLabel('Client id'), rig.berthClientId);
      const name = await dialog.getByLabel('Name in Berth').inputValue();
      assert.equal(name, host.replace(':', '-'));
      await shot(page, '2-add');

      // Sign in through the (driven) browser; the card turns valid with Harbor's 30-day idle countdown.
      await dialog.getByRole('button', { name: 'Add and sign in' }).click();
      await badge.filter({ hasText: 'Valid' }).waitFor({ timeout: 60_000 });
      assert.deepEqual(desktop.offered, [{ url: 'https://updates.example.org/berth', registry: name }], 'adding it from the profile offers the server, once');
      // The page keeps the registry it shows in its address: the app reopens the window there.
      assert.equal(new URL(page.url()).hash, `#${new URLSearchParams({ registry: name })}`);
      // Plain words, a relative time with its date beside it, and the technical term in the tooltip.
      assert.match(await card.innerText(), /Harbor login lasts\s+29 days left \(\w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M\); renewed daily/);
      await eventually(async () => /Next renewal\s+in 23 hours \(/.test(await card.innerText()));
      assert.match(await card.innerText(), /Next renewal\s+in 23 hours \(/);
      assert.match(await card.getByText('Harbor login lasts').getAttribute('title') ?? '', /Harbor's stored OIDC session/);
      assert.match(await card.innerText(), /Signed in as\s+dana/);
      assert.match(await card.innerText(), /Signs in with\s+Berth’s own sign-in/);
      assert.match(await card.getByText('Signs in with').getAttribute('title') ?? '', /An OIDC client registered for Berth at the identity provider/);
      assert.match(await card.innerText(), /Docker reads it from\s+its config file/);
      // A working registry needs no fix: no primary action, "Check image…" beside the "More" menu.
      assert.equal(await card.locator('button.primary').count(), 0);
      assert.deepEqual(await visibleActions(card), ['Check image…', 'More ▾']);
      const firstSecret = basicSecret(ws, host);
      assert.equal(firstSecret, rig.harbor.user('dana')?.secret);
      assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0, 'docker reads the image with what the window set up');
      await page.getByRole('listitem').filter({ hasText: /Signed in to .* as dana/ }).waitFor();
      await shot(page, '3-valid');

      // Regenerate asks first and says what other machines lose.
      await moreAction(card, 'Regenerate CLI secret…');
      const confirm = page.getByRole('dialog', { name: `Regenerate the CLI secret for ${host}?` });
      assert.match(await confirm.innerText(), /Other machines and CI jobs that use the old secret lose access/);
      assert.equal(await confirm.getByRole('button', { name: 'Cancel' }).evaluate((button) => button === button.ownerDocument.activeElement), true, 'Cancel has the focus');
      await shot(page, '4-regenerate-confirm');
      await confirm.getByRole('button', { name: 'Regenerate' }).click();
      await page.getByRole('listitem').filter({ hasText: 'New CLI secret in place' }).waitFor({ timeout: 30_000 });
      const secondSecret = basicSecret(ws, host);
      assert.notEqual(secondSecret, firstSecret);
      assert.equal(secondSecret, rig.harbor.user('dana')?.secret);
      assert.equal(await badge.innerText(), 'Valid');

      // Check an image: the card's "Check image…" fills in the host; the verdict is the core's.
      await card.getByRole('button', { name: 'Check image…' }).click();
      const field = page.getByLabel('Image or registry');
      await assertValue(field, host);
      await field.fill(rig.imageRef);
      await page.getByRole('button', { name: 'Check', exact: true }).click();
      const verdict = page.locator('[data-verdict]');
      await verdict.waitFor();
      assert.equal(await verdict.getAttribute('data-verdict'), 'will-work');
      assert.match(await verdict.innerText(), /Will work.*will work as dana/s);
      await shot(page, '5-check');

      // Harbor drops the session; the next keep-alive pass (the scheduler's, here called directly) turns the badge without a reload.
      rig.harbor.expireSession('dana');
      await api.refresh(name);
      await badge.filter({ hasText: 'Web login needed' }).waitFor();
      assert.match(await card.innerText(), /Harbor login lasts\s+ended\n/);
      assert.match(await card.innerText(), /rejects the CLI secret of dana.*Log in once at http:\/\/127\.0\.0\.1:\d+\/c\/oidc\/login/);
      // Re-checked within minutes, and the card says so, not "in 23 hours".
      await eventually(async () => /Next check\s+in [1-5] minutes? \(/.test(await card.innerText()));
      assert.match(await card.innerText(), /Next check\s+in [1-5] minutes? \(/);
      // The verdict of the earlier check is asked again now that the registry's state changed: no stale "Will work".
      await verdict.filter({ hasText: 'Checked again' }).waitFor();
      assert.equal(await verdict.getAttribute('data-verdict'), 'rejected');
      // The one action that fixes it is the primary one.
      assert.deepEqual(await visibleActions(card), ['Open Harbor web login', 'More ▾']);
      await card.locator('button.primary').filter({ hasText: 'Open Harbor web login' }).click();
      await eventually(() => opened.length > 0);
      assert.deepEqual(opened, [`${rig.harbor.url}/c/oidc/login`]);
      await shot(page, '6-needs-web-login');
      await page.emulateMedia({ colorScheme: 'dark' });
      await shot(page, '7-dark');

      // Nothing secret ever reached the page.
      const crossed = JSON.stringify(window.traffic);
      for (const secret of rig.secrets()) assert.ok(!crossed.includes(secret), `a secret of length ${secret.length} crossed the bridge`);
      assert.ok(!crossed.includes(secondSecret));
      assertNoSecretsLeaked(rig, ws);
    } finally {
      await keepAlive.stop();
      await window.close();
    }
  });

  test("a Harbor by URL alone: Harbor's web login in Berth's sign-in window, repaired there too, or a pasted CLI secret instead", async () => {
    const ws = workspace();
    const host = new URL(webRig.harbor.url).host;
    let personActs = true;
    const person = signsInAs('nina');
    const windows = chromiumWindows(browser, async (page) => {
      if (personActs) await person(page);
    });
    const api = createNodeApi(ws.env, { webWindows: windows });
    const platform: BridgePlatform = {
      openBrowser: async () => assert.fail('the web method never opens the system browser'),
      openExternal: async () => undefined,
      startAtLogin: { get: () => false, set: () => undefined },
      desktop: desktopShell(),
    };
    const window = await openWindow(browser, api, platform, server.origin);
    const { page } = window;
    const card = page.locator('article[data-registry]');
    const badge = card.getByRole('status').first();
    try {
      await page.goto(`${server.origin}/index.html`);
      await page.getByRole('button', { name: 'Add registry…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add a Harbor registry' });
      await dialog.getByLabel('Harbor URL').fill(webRig.harbor.url);
      await dialog.getByRole('button', { name: 'Look up' }).click();
      await dialog.getByText('Single sign-on', { exact: true }).waitFor();
      assert.equal(await dialog.getByLabel('Harbor’s own web login (nothing to register; works for everyone)').isChecked(), true, 'web login is the default');
      assert.equal(await dialog.getByLabel('Client id').count(), 0, 'nothing to fill in about the identity provider');
      await shot(page, '9-add-by-url');
      await dialog.getByRole('button', { name: 'Add and sign in' }).click();

      // Berth's sign-in window shows Harbor's login; nina logs in at the identity provider there.
      await badge.filter({ hasText: 'Valid' }).waitFor({ timeout: 60_000 });
      assert.deepEqual(windows.opened, [`${webRig.harbor.url}/c/oidc/login`]);
      assert.match(await card.innerText(), /Signs in with\s+Harbor’s web login/);
      assert.match(await card.innerText(), /Signed in as\s+nina/);
      assert.doesNotMatch(await card.innerText(), /Berth’s own session/, 'no session of Berth’s own to show');
      assert.equal(basicSecret(ws, host), webRig.harbor.user('nina')?.secret);
      assert.equal((await dockerInspect(ws, webRig.imageRef)).code, 0);
      await shot(page, '10-web-valid');

      // Harbor drops its session: the card's button logs in again through the same window, and Berth sees the result at once.
      webRig.harbor.expireSession('nina');
      await api.refresh(name(await card.getAttribute('data-registry')));
      await badge.filter({ hasText: 'Web login needed' }).waitFor();
      await card.getByRole('button', { name: 'Log in to Harbor again' }).click();
      await badge.filter({ hasText: 'Valid' }).waitFor({ timeout: 60_000 });
      assert.equal(windows.opened.length, 2);
      assert.equal((await dockerInspect(ws, webRig.imageRef)).code, 0, 'Harbor’s session is back');

      // Someone whose provider refuses embedded browsers: break off the window and paste the CLI secret instead.
      await moreAction(card, 'Sign out');
      await badge.filter({ hasText: 'Signed out' }).waitFor();
      personActs = false;
      await card.getByRole('button', { name: 'Sign in', exact: true }).click();
      await card.getByText('Waiting for you to log in to Harbor in Berth’s sign-in window…').waitFor();
      await card.getByRole('button', { name: 'Use my browser and paste the CLI secret instead' }).click();
      const paste = page.getByRole('dialog', { name: `Sign in to ${host} with its CLI secret` });
      await paste.waitFor();
      const signInWindow = windows.pages.at(-1);
      if (signInWindow && !signInWindow.isClosed()) await signInWindow.waitForEvent('close', { timeout: 30_000 });
      assert.equal(signInWindow?.isClosed(), true, 'the sign-in window closed');
      await paste.getByLabel('Harbor username').fill('nina');
      await paste.getByLabel('CLI secret').fill('NotHers1Secret');
      await paste.getByRole('button', { name: 'Check and sign in' }).click();
      await paste.getByRole('alert').filter({ hasText: /rejected the CLI secret for "nina"; nothing was stored/ }).waitFor();
      assert.equal(await storedSecret(ws, name(await card.getAttribute('data-registry')), 'cli-secret'), null, 'and nothing is: the keychain holds no secret');
      assert.equal((dockerConfigJson(ws).auths as Record<string, unknown> | undefined)?.[host], undefined, 'nor does docker’s config');
      await shot(page, '11-paste-rejected');
      await paste.getByLabel('CLI secret').fill(webRig.harbor.user('nina')?.secret as string);
      await paste.getByRole('button', { name: 'Check and sign in' }).click();
      await paste.waitFor({ state: 'detached' });
      await badge.filter({ hasText: 'Valid' }).waitFor();
      assert.equal(await card.getByRole('alert').count(), 0, 'breaking off the window is not an error');
      assert.equal((await dockerInspect(ws, webRig.imageRef)).code, 0);

      const crossed = JSON.stringify(window.traffic);
      for (const secret of webRig.secrets()) assert.ok(!crossed.includes(secret), `a secret of length ${secret.length} crossed the bridge`);
      assertNoSecretsLeaked(webRig, ws);
    } finally {
      await window.close();
    }
  });

  test('the add dialog warns about a Harbor whose OIDC scope lacks offline_access, in words that name Harbor’s admin setting', async () => {
    const ws = workspace();
    const api = createNodeApi(ws.env);
    const platform: BridgePlatform = { openBrowser: async () => undefined, openExternal: async () => undefined, startAtLogin: { get: () => false, set: () => undefined }, desktop: desktopShell() };
    const window = await openWindow(browser, api, platform, server.origin);
    const { page } = window;
    try {
      await page.goto(`${server.origin}/index.html`);
      await page.getByRole('button', { name: 'Add registry…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add a Harbor registry' });
      await dialog.getByLabel('Harbor URL').fill(onlineRig.harbor.url);
      await dialog.getByRole('button', { name: 'Look up' }).click();
      await dialog.getByText('Single sign-on', { exact: true }).waitFor();
      const notes = dialog.getByRole('note');
      assert.equal(await notes.count(), 1);
      const warning = await notes.innerText();
      assert.match(warning, /^Harbor at 127\.0\.0\.1:\d+ asks its identity provider for "openid profile email" without offline_access, so Harbor keeps only a browser-bound session:/);
      assert.match(warning, /its CLI secrets stop working when your single sign-on session ends \(usually within hours\), whatever Berth does\./);
      assert.match(warning, /The Harbor administrator fixes this by adding offline_access to the OIDC scope \(Administration → Configuration → Authentication\)\.$/);
      await shot(page, '13-add-without-offline-access');
      // A Harbor that asks for offline access gets no such note.
      await dialog.getByLabel('Harbor URL').fill(webRig.harbor.url);
      await dialog.getByRole('button', { name: 'Look up' }).click();
      await dialog.getByText(new URL(webRig.harbor.url).host).first().waitFor();
      await eventually(async () => (await notes.count()) === 0);
      assert.equal(await notes.count(), 0);
    } finally {
      await window.close();
    }
  });

  test('settings: interval, warning threshold, credential target and start at login, all from the keyboard', async () => {
    const ws = workspace();
    const api = createNodeApi(ws.env);
    const autostart = autostartFile({ XDG_CONFIG_HOME: join(ws.home, 'config') });
    const desktop = desktopShell();
    const platform: BridgePlatform = {
      openBrowser: async () => undefined,
      openExternal: async () => undefined,
      startAtLogin: xdgStartAtLogin(autostart, ['/opt/Berth/berth', '--hidden']),
      desktop,
    };
    const window = await openWindow(browser, api, platform, server.origin);
    const { page } = window;
    try {
      await page.goto(`${server.origin}/index.html`);
      await page.getByText('No registries yet').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Quit Berth' }).count(), 0, 'with a tray, Quit is in the tray menu');
      // Tab order: "Add registry…", then "Settings…".
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Settings' });
      await dialog.getByLabel('Keep alive every (hours)').fill('12');
      await dialog.getByLabel('Warn this many days before an expiry').fill('5');
      await dialog.getByLabel('Where docker gets credentials').selectOption('helper');
      await dialog.getByLabel('Start Berth when I log in').check();
      await dialog.getByLabel('Notify me before a login expires and when one needs me').uncheck();
      assert.equal(await dialog.getByLabel(/When I close the window/).count(), 0, 'with a tray, closing the window always hides it');
      await dialog.getByText('This is a checkout: `git pull` and `npm install` update it.').waitFor();
      await dialog.getByRole('button', { name: 'Check for updates now' }).click();
      await dialog.getByRole('status').filter({ hasText: 'This is a checkout' }).waitFor();
      await shot(page, '8-settings');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });

      assert.deepEqual(api.preferences(), { keepAliveHours: 12, warnDays: 5, target: 'helper' });
      assert.equal(desktop.preferences().notifications, false, 'the app keeps its own preference');
      assert.match(readFileSync(autostart, 'utf8'), /^Exec=\/opt\/Berth\/berth --hidden$/m);
      await page.getByRole('listitem').filter({ hasText: 'Settings changed: keep alive every 12 h' }).waitFor();

      // A bad value comes back as a sentence in the dialog and changes nothing.
      await page.getByRole('button', { name: 'Settings…' }).click();
      await dialog.getByLabel('Keep alive every (hours)').fill('0');
      await dialog.getByLabel('Keep alive every (hours)').evaluate((input) => input.removeAttribute('min'));
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.getByRole('alert').filter({ hasText: 'keepAliveHours must be a positive number' }).waitFor();
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      assert.equal(api.preferences().keepAliveHours, 12);
    } finally {
      await window.close();
    }
  });

  test('a desktop without a tray: what closing the window does is a setting, and the window has a Quit button', async () => {
    const ws = workspace();
    const api = createNodeApi(ws.env);
    const desktop = desktopShell(false);
    const platform: BridgePlatform = { openBrowser: async () => undefined, openExternal: async () => undefined, startAtLogin: { get: () => false, set: () => undefined }, desktop };
    const window = await openWindow(browser, api, platform, server.origin);
    const { page } = window;
    try {
      await page.goto(`${server.origin}/index.html`);
      await page.getByRole('button', { name: 'Settings…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Settings' });
      await dialog.getByLabel(/When I close the window/).selectOption('quit');
      await shot(page, '12-settings-without-tray');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      assert.equal(desktop.preferences().closeWithoutTray, 'quit');
      await page.getByRole('button', { name: 'Quit Berth' }).click();
      await eventually(() => desktop.quits === 1);
      assert.equal(desktop.quits, 1);
    } finally {
      await window.close();
    }
  });
});

/** The card's buttons outside its "More" menu, in order. */
async function visibleActions(card: Locator): Promise<string[]> {
  return card.locator('.actions > button, .actions > .more > button').allInnerTexts();
}

/** Opens the card's "More" menu and picks an entry. */
async function moreAction(card: Locator, label: string): Promise<void> {
  await card.getByRole('button', { name: /^More actions for / }).click();
  await card.getByRole('menuitem', { name: label }).click();
}

function name(value: string | null): string {
  assert.ok(value);
  return value;
}

async function eventually(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 100 && !(await condition()); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function assertValue(locator: ReturnType<Page['locator']>, expected: string): Promise<void> {
  await eventually(async () => (await locator.inputValue()) === expected);
  assert.equal(await locator.inputValue(), expected);
}
