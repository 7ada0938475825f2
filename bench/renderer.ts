import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createNodeApi } from '../main/api/node.js';
import { withHarbors, workspace } from '../test/helpers/berth.js';
import { launchChromium, openWindow, rendererRoot, serveRenderer } from '../test/helpers/window.js';
import { summary } from './stats.js';
import { desktopShell } from '../test/helpers/desktop.js';

// The window's weight and speed: its JavaScript gzipped, and the time from navigation to the registry list on screen
// in Chromium (median of 20 fresh loads), with the real core answering through the bridge. Aim: < 150 KB and < 300 ms.
const loads = Number(process.env.BENCH_RUNS ?? 20);
const registries = 5;

const assets = join(rendererRoot, 'assets');
const sizes = readdirSync(assets).map((file) => {
  const content = readFileSync(join(assets, file));
  return { file, raw: content.length, gzipped: gzipSync(content, { level: 9 }).length };
});
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
console.log('renderer bundle (dist/renderer/assets)');
for (const { file, raw, gzipped } of sizes) console.log(`  ${file.padEnd(28)} ${kb(raw).padStart(9)} raw   ${kb(gzipped).padStart(8)} gzipped`);
const js = sizes.filter(({ file }) => file.endsWith('.js')).reduce((sum, { gzipped }) => sum + gzipped, 0);
console.log(`  JavaScript total: ${kb(js)} gzipped (aim: under 150 KB)`);

const ws = workspace();
// Written straight into the settings: adding a registry asks its Harbor, and these five do not exist.
withHarbors(ws, ...Array.from({ length: registries }, (_, i) => `harbor-${i + 1}`));
const api = createNodeApi(ws.env);
const platform = { openBrowser: async () => undefined, openExternal: async () => undefined, startAtLogin: { get: () => false, set: () => undefined }, desktop: desktopShell() };
const [browser, server] = await Promise.all([launchChromium(), serveRenderer()]);
try {
  const samples: number[] = [];
  for (let load = 0; load < loads; load++) {
    const window = await openWindow(browser, api, platform, server.origin);
    // The moment the list's last card is in the document, on the page's own clock (0 = navigation start).
    await window.page.addInitScript({
      content: `new MutationObserver((changes, observer) => {
        if (document.querySelectorAll('article[data-registry]').length >= ${registries}) {
          window.listShownAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });`,
    });
    await window.page.goto(`${server.origin}/index.html`);
    await window.page.waitForFunction(() => (window as unknown as { listShownAt?: number }).listShownAt !== undefined);
    samples.push(await window.page.evaluate(() => (window as unknown as { listShownAt: number }).listShownAt));
    await window.close();
  }
  console.log(`time to first render of the registry list (${registries} registries, ${loads} fresh loads in Chromium)`);
  console.log(`  ${summary(samples)}   (aim: under 300 ms)`);
} finally {
  await Promise.all([browser.close(), server.close()]);
}
