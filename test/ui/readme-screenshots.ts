import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HarborProbe } from '../../main/api/contract.js';
import { createNodeApi } from '../../main/api/node.js';
import { projectRoot, workspace } from '../helpers/berth.js';
import { desktopShell } from '../helpers/desktop.js';
import { registriesInEveryState } from '../helpers/registry-fixtures.js';
import { launchChromium, openWindow, serveRenderer } from '../helpers/window.js';
import { startRig } from '../rig/index.js';

/**
 * `npm run screenshots`: the README's pictures, from the built window on the real core. The registry cards are the
 * every-state fixture (status files as Berth writes them, with real-looking names). The add dialog shows the real
 * probe of the rig's Harbor, whose loopback addresses and test names are shown as harbor.example.org, sso.example.org
 * and "Corp SSO": a README should not show `127.0.0.1:41827`.
 */
const out = join(projectRoot, 'docs', 'screenshots');
mkdirSync(out, { recursive: true });
const platform = { openBrowser: async () => undefined, openExternal: async () => undefined, startAtLogin: { get: () => false, set: () => undefined }, desktop: desktopShell() };
const shown = ['work', 'platform', 'team', 'mirror'];

const [browser, server, rig] = await Promise.all([launchChromium(), serveRenderer(), startRig()]);
try {
  const ws = workspace();
  registriesInEveryState(ws);
  const api = createNodeApi(ws.env);
  const listed = { ...api, listRegistries: () => api.listRegistries().filter((view) => shown.includes(view.name)) };
  const window = await openWindow(browser, listed, platform, server.origin);
  const { page } = window;
  await page.setViewportSize({ width: 1000, height: 800 });
  await page.goto(`${server.origin}/index.html`);
  await page.locator('[data-registry="mirror"]').waitFor();
  await page.screenshot({ path: join(out, 'window.png') });
  await page.locator('[data-registry="platform"]').screenshot({ path: join(out, 'needs-web-login.png') });
  await page.locator('[data-registry="platform"]').getByRole('button', { name: 'More actions for platform' }).click();
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(out, 'dark.png') });
  await window.close();

  const harborHost = new URL(rig.harbor.url).host;
  const idpHost = new URL(rig.idp.issuer).host;
  const relabel = (probe: HarborProbe): HarborProbe =>
    JSON.parse(
      JSON.stringify(probe)
        .replaceAll(`http://${harborHost}`, 'https://harbor.example.org')
        .replaceAll(harborHost.replace(':', '-'), 'harbor.example.org')
        .replaceAll(harborHost, 'harbor.example.org')
        .replaceAll(`http://${idpHost}`, 'https://sso.example.org/realms/corp')
        .replaceAll(idpHost, 'sso.example.org')
        .replaceAll('rig-idp', 'Corp SSO'),
    ) as HarborProbe;
  const adding = createNodeApi(workspace().env);
  const probing = { ...adding, probeHarbor: async () => relabel(await adding.probeHarbor(rig.harbor.url)) };
  const dialogWindow = await openWindow(browser, probing, platform, server.origin);
  await dialogWindow.page.goto(`${server.origin}/index.html`);
  await dialogWindow.page.getByRole('button', { name: 'Add registry…' }).click();
  const dialog = dialogWindow.page.getByRole('dialog', { name: 'Add a Harbor registry' });
  await dialog.getByLabel('Harbor URL').fill('harbor.example.org');
  await dialog.getByRole('button', { name: 'Look up' }).click();
  await dialog.getByText('Single sign-on', { exact: true }).waitFor();
  await dialogWindow.page.screenshot({ path: join(out, 'add-registry.png') });
  await dialogWindow.close();
  console.log(`screenshots written to ${out}`);
} finally {
  await Promise.all([browser.close(), server.close(), rig.stop()]);
}
