import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import type { BridgePlatform } from '../../main/api/bridge.js';
import { createNodeApi } from '../../main/api/node.js';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { assertNoSecretsLeaked, dockerInspect, projectRoot, storedSecret, workspace } from '../helpers/berth.js';
import { desktopShell } from '../helpers/desktop.js';
import { launchChromium, openWindow, serveRenderer } from '../helpers/window.js';

const outputDir = join(projectRoot, 'test', 'output');

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(outputDir, `token-window-${name}.png`), fullPage: true });
}

async function visibleActions(card: Locator): Promise<string[]> {
  return card.locator('.actions > button, .actions > .more > button').allInnerTexts();
}

describe('token registries in the window, in real Chromium on the real core and the rig', { skip: unless('chromium', 'docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  let rig: Rig;
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveRenderer>>;
  before(async () => {
    [rig, browser, server] = await Promise.all([startRig(), launchChromium(), serveRenderer()]);
    mkdirSync(outputDir, { recursive: true });
  });
  after(() => Promise.all([rig?.stop(), browser?.close(), server?.close()]));

  test('add a robot account on the second tab (a wrong token stores nothing), see its end, find it rejected, replace it', async () => {
    const ws = workspace();
    const api = createNodeApi(ws.env);
    const opened: string[] = [];
    const platform: BridgePlatform = {
      openBrowser: async () => assert.fail('a token needs no browser'),
      openExternal: async (url) => void opened.push(url),
      startAtLogin: { get: () => false, set: () => undefined },
      desktop: desktopShell(),
    };
    const robot = rig.harbor.robots.create('demo', 'window-ci', { durationDays: 30, access: [{ resource: 'project', action: 'read' }, { resource: 'robot', action: 'list' }] });
    const host = new URL(rig.harbor.url).host;
    const window = await openWindow(browser, api, platform, server.origin);
    const { page } = window;
    const card = page.locator('article[data-registry]');
    const badge = card.getByRole('status').first();
    try {
      await page.goto(`${server.origin}/index.html`);
      await page.getByRole('button', { name: 'Add registry…' }).click();
      await page.getByRole('tab', { name: 'Token or robot account' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add a token or robot account' });
      await dialog.getByLabel('Registry URL').fill(rig.harbor.url);
      await dialog.getByRole('button', { name: 'Look up' }).click();
      await dialog.getByText('Where tokens come from:').waitFor();
      assert.equal(await dialog.getByLabel('Name in Berth').inputValue(), host.replace(':', '-'));
      await dialog.getByLabel('User name').fill(robot.name);
      await dialog.getByLabel('Token', { exact: true }).fill('not-the-secret');
      await dialog.getByRole('button', { name: 'Check and add' }).click();
      await dialog.getByText(/rejected the token for "robot\$demo\+window-ci"; nothing was stored/).waitFor();
      assert.equal(await card.count(), 0, 'no registry after a wrong token');
      assert.equal(await storedSecret(ws, host.replace(':', '-'), 'token'), null);
      await shot(page, '1-wrong-token');

      await dialog.getByLabel('Token', { exact: true }).fill(robot.secret);
      await dialog.getByRole('button', { name: 'Check and add' }).click();
      await badge.filter({ hasText: 'Valid' }).waitFor({ timeout: 30_000 });
      const text = await card.innerText();
      assert.match(text, /Signs in with\s+a token/);
      assert.match(text, /Signed in as\s+robot\$demo\+window-ci/);
      assert.match(text, /Token expires\s+in (29|30) days \(\w{3} \d{1,2}, \d{4}/, 'the end Harbor keeps for the robot, with its date');
      assert.match(text, /Last checked\s+just now/);
      assert.equal(await card.locator('button.primary').count(), 0, 'a working token needs no fix');
      assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0, 'docker reads the image with what the window set up');
      await shot(page, '2-valid');

      // Harbor deletes the robot; the next check (here called directly, as the scheduler would) turns the card.
      rig.harbor.robots.delete(robot.name);
      await api.refresh(host.replace(':', '-'));
      await badge.filter({ hasText: 'Rejected' }).waitFor();
      assert.match(await card.innerText(), /no longer accepts the token of robot\$demo\+window-ci: it expired or was revoked\. In Harbor: the project → Robot Accounts/);
      assert.deepEqual(await visibleActions(card), ['Replace token…', 'Where to get a new token', 'More ▾']);
      await card.getByRole('button', { name: 'Where to get a new token' }).click();
      await shot(page, '3-rejected');

      const replacement = rig.harbor.robots.create('demo', 'window-ci2');
      await card.locator('button.primary').filter({ hasText: 'Replace token…' }).click();
      const replace = page.getByRole('dialog', { name: `Replace the token for ${host}` });
      assert.match(await replace.innerText(), /Get a new token\. In Harbor: the project → Robot Accounts/);
      await replace.getByLabel('User name').fill(replacement.name);
      await replace.getByLabel('New token').fill(replacement.secret);
      await shot(page, '4-replace');
      await replace.getByRole('button', { name: 'Check and replace' }).click();
      await badge.filter({ hasText: 'Valid' }).waitFor({ timeout: 30_000 });
      assert.match(await card.innerText(), /Signed in as\s+robot\$demo\+window-ci2/);
      assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0, 'docker reads the image with the new token');
      assert.match(await card.innerText(), /Token expires\s+not known/);
      await shot(page, '5-replaced');
      assert.deepEqual(opened, [`${rig.harbor.url}/harbor/projects`]);

      // The new robot may not read its own record: the person says when it ends, and Berth warns before.
      await card.getByRole('button', { name: /^More actions for / }).click();
      await card.getByRole('menuitem', { name: 'Set expiry date…' }).click();
      const expiry = page.getByRole('dialog', { name: `When does the token for ${host} expire?` });
      const inTwoDays = new Date(Date.now() + 2 * 86_400_000);
      const local = `${inTwoDays.getFullYear()}-${String(inTwoDays.getMonth() + 1).padStart(2, '0')}-${String(inTwoDays.getDate()).padStart(2, '0')}`;
      await expiry.getByLabel('Expires on').fill(local);
      await expiry.getByRole('button', { name: 'Save' }).click();
      await badge.filter({ hasText: 'Expiring' }).waitFor();
      assert.match(await card.innerText(), /Token expires\s+in 2 days \(/);
      assert.deepEqual(await visibleActions(card), ['Replace token…', 'More ▾'], 'replacing is what fixes an expiring token');
      await shot(page, '6-expiring');

      const crossed = JSON.stringify(window.traffic);
      for (const secret of [...rig.secrets(), robot.secret, replacement.secret]) assert.ok(!crossed.includes(secret), `a secret of length ${secret.length} crossed the bridge`);
      assertNoSecretsLeaked(rig, ws);
    } finally {
      await window.close();
    }
  });
});
