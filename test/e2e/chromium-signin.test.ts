import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { createNodeApi } from '../../main/api/node.js';
import { chromiumPath, unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { assertNoSecretsLeaked, dockerInspect, projectRoot, uniqueName, workspace } from '../helpers/berth.js';

const outputDir = join(projectRoot, 'test', 'output');

describe('sign-in through real Chromium', { skip: unless('chromium', 'docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  let rig: Rig;
  let browser: Browser;
  before(async () => {
    [rig, browser] = await Promise.all([
      startRig(),
      chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      }),
    ]);
    await rig.webLogin('carol');
    mkdirSync(outputDir, { recursive: true });
  });
  after(() => Promise.all([rig?.stop(), browser?.close()]));

  test('a person signs in at the identity provider in Chromium and docker reads the image', async () => {
    const ws = workspace();
    const name = uniqueName();
    const api = createNodeApi(ws.env);
    await api.addRegistry({ name, url: rig.harbor.url, issuer: rig.idp.issuer, clientId: rig.berthClientId, authParams: { prompt: 'consent' } });
    const page = await browser.newPage();
    let person: Promise<void> = Promise.resolve();

    const view = await api.signIn(name, {
      timeoutMs: 60_000,
      // Like the system browser: opening returns at once, the person then works in the page.
      openBrowser: async (url) => {
        person = (async () => {
          await page.goto(url);
          await page.locator('input[name="login"]').fill('carol');
          await page.locator('input[name="password"]').fill('anything');
          await page.screenshot({ path: join(outputDir, 'signin-1-provider-login.png') });
          await page.locator('button[type="submit"]').click();
          await page.waitForURL(/\/interaction\//);
          await page.locator('button[type="submit"]').click();
          await page.getByRole('heading', { name: 'Signed in' }).waitFor();
          await page.screenshot({ path: join(outputDir, 'signin-2-berth-done.png') });
        })();
      },
    });
    await person;

    assert.equal(view.state, 'valid');
    assert.equal(view.username, 'carol');
    assert.match(page.url(), /^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
    assert.match(await page.locator('body').innerText(), /You can close this tab/);
    const docker = await dockerInspect(ws, rig.imageRef);
    assert.equal(docker.code, 0, docker.stderr);
    assertNoSecretsLeaked(rig, ws);
  });
});
