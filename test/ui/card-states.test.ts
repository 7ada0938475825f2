import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator } from 'playwright-core';
import { createNodeApi } from '../../main/api/node.js';
import { projectRoot, workspace } from '../helpers/berth.js';
import { desktopShell } from '../helpers/desktop.js';
import { jargonIn } from '../helpers/plain-words.js';
import { registriesInEveryState } from '../helpers/registry-fixtures.js';
import { launchChromium, openWindow, serveRenderer } from '../helpers/window.js';
import { unless } from '../rig/components.js';

const outputDir = join(projectRoot, 'test', 'output');

/** Per state, what the card offers first (the action that fixes it), beside it, and behind "More". */
const expected: Record<string, { badge: string; primary: string | null; beside: string[]; more: string[] }> = {
  work: { badge: 'Valid', primary: null, beside: ['Check image…'], more: ['Sign in again', 'Paste CLI secret…', 'Renew now', 'Regenerate CLI secret…', 'Open in browser', 'Sign out', 'Remove…'] },
  platform: { badge: 'Web login needed', primary: 'Open Harbor web login', beside: [], more: ['Sign in again', 'Renew now', 'Regenerate CLI secret…', 'Check image…', 'Open in browser', 'Sign out', 'Remove…'] },
  team: { badge: 'Expiring', primary: 'Sign in again', beside: [], more: ['Renew now', 'Regenerate CLI secret…', 'Check image…', 'Open in browser', 'Sign out', 'Remove…'] },
  research: { badge: 'Sign-in needed', primary: 'Sign in again', beside: [], more: ['Renew now', 'Regenerate CLI secret…', 'Check image…', 'Open in browser', 'Sign out', 'Remove…'] },
  edge: { badge: 'Offline', primary: 'Try again', beside: [], more: ['Sign in again', 'Paste CLI secret…', 'Regenerate CLI secret…', 'Check image…', 'Open in browser', 'Sign out', 'Remove…'] },
  mirror: { badge: 'Valid', primary: null, beside: ['Check image…'], more: ['Replace token…', 'Set expiry date…', 'Check now', 'Open in browser', 'Sign out', 'Remove…'] },
  harness: { badge: 'Rejected', primary: 'Replace token…', beside: ['Where to get a new token'], more: ['Set expiry date…', 'Check now', 'Check image…', 'Open in browser', 'Sign out', 'Remove…'] },
  vault: { badge: 'Keychain locked', primary: 'Try again', beside: [], more: ['Sign in again', 'Paste CLI secret…', 'Regenerate CLI secret…', 'Check image…', 'Open in browser', 'Sign out', 'Remove…'] },
  staging: { badge: 'Signed out', primary: 'Sign in', beside: [], more: ['Paste CLI secret…', 'Check image…', 'Open in browser', 'Remove…'] },
};

async function buttonsOf(card: Locator): Promise<{ primary: string | null; beside: string[]; more: string[] }> {
  const primary = card.locator('.actions > button.primary');
  const beside = await card.locator('.actions > button:not(.primary)').allInnerTexts();
  await card.getByRole('button', { name: /^More actions for / }).click();
  const more = await card.getByRole('menuitem').allInnerTexts();
  await card.page().keyboard.press('Escape');
  return { primary: (await primary.count()) ? await primary.innerText() : null, beside, more };
}

describe('each registry state in real Chromium: one action that fixes it, plain words, dates beside countdowns', { skip: unless('chromium') }, () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveRenderer>>;
  before(async () => {
    [browser, server] = await Promise.all([launchChromium(), serveRenderer()]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the primary action, the "More" menu, the labels and their tooltips, per state', async () => {
    const ws = workspace();
    registriesInEveryState(ws);
    const api = createNodeApi(ws.env);
    const window = await openWindow(browser, api, { openBrowser: async () => undefined, openExternal: async () => undefined, startAtLogin: { get: () => false, set: () => undefined }, desktop: desktopShell() }, server.origin);
    const { page } = window;
    try {
      await page.setViewportSize({ width: 1100, height: 900 });
      await page.goto(`${server.origin}/index.html`);
      for (const [name, want] of Object.entries(expected)) {
        const card = page.locator(`[data-registry="${name}"]`);
        await card.getByRole('status').filter({ hasText: want.badge }).waitFor();
        assert.deepEqual(await buttonsOf(card), { primary: want.primary, beside: want.beside, more: want.more }, name);
        assert.equal(await card.locator('button.primary').count(), want.primary ? 1 : 0, `${name}: at most one primary action`);
        assert.equal(jargonIn(await card.innerText()), null, `${name}: plain words, the technical terms only in tooltips`);
      }

      const work = page.locator('[data-registry="work"]');
      const text = await work.innerText();
      assert.match(text, /Harbor login lasts\s+29 days left \(\w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M\); renewed daily/, 'the date beside the countdown');
      assert.match(text, /Last renewed\s+1 hour ago|Last renewed\s+60 minutes ago/);
      assert.match(text, /Next renewal\s+in 22 hours|Next renewal\s+in 23 hours/);
      assert.match(text, /Docker reads it from\s+its config file/);
      assert.match((await work.getByText('Docker reads it from').getAttribute('title')) ?? '', /~\/\.docker\/config\.json/, 'the technical term is in the tooltip');

      // Re-checked states say when Berth looks again, in minutes, not the next regular renewal.
      for (const [name, minutes] of [['platform', 5], ['edge', 2], ['vault', 4]] as const) {
        const shown = await page.locator(`[data-registry="${name}"]`).innerText();
        assert.match(shown, new RegExp(`Next check\\s+in ${minutes - 1}|Next check\\s+in ${minutes} minutes`), name);
        assert.doesNotMatch(shown, /Next renewal/, name);
      }
      assert.match(await page.locator('[data-registry="platform"]').innerText(), /Harbor login lasts\s+ended/);
      const team = page.locator('[data-registry="team"]');
      assert.match(await team.innerText(), /Berth’s own session\s+ends on .*; renewing cannot extend it/);
      assert.match((await team.getByText('Berth’s own session').getAttribute('title')) ?? '', /refresh token .*keep-alive pass/, 'the technical terms are in the tooltip');
      assert.match(await page.locator('[data-registry="mirror"]').innerText(), /Docker reads it from\s+Berth, at each pull/);
      assert.match(await page.locator('[data-registry="harness"]').innerText(), /Token expires\s+expired \(/);

      // The "More" menu works from the keyboard and closes with Escape.
      const toggle = work.getByRole('button', { name: 'More actions for work' });
      await toggle.focus();
      await page.keyboard.press('Enter');
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      assert.equal(await work.getByRole('menuitem', { name: 'Sign in again' }).evaluate((item) => item === item.ownerDocument.activeElement), true, 'the first entry has the focus');
      await page.keyboard.press('Escape');
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
      await page.screenshot({ path: join(outputDir, 'cards-1-every-state.png'), fullPage: true });
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.locator('[data-registry="platform"]').getByRole('button', { name: 'More actions for platform' }).click();
      await page.screenshot({ path: join(outputDir, 'cards-2-more-menu-dark.png'), fullPage: true });
    } finally {
      await window.close();
    }
  });
});
