import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PageQueue, type HarborWebWindows } from '../../main/harbor/web-windows.js';

/** What a person does on each page the sign-in window loads. */
export type Person = (page: Page) => Promise<void>;

/** A person who logs in at the rig's identity provider (oidc-provider's login and consent forms). */
export function signsInAs(login: string): Person {
  return async (page) => {
    if ((await page.locator('input[name="login"]').count()) > 0) {
      await page.locator('input[name="login"]').fill(login);
      await page.locator('input[name="password"]').fill('anything');
      await page.locator('button[type="submit"]').click();
    } else if ((await page.locator('input[name="prompt"][value="consent"]').count()) > 0) {
      await page.locator('button[type="submit"]').click();
    }
  };
}

export interface ChromiumWindows extends HarborWebWindows {
  /** Every URL a sign-in window was opened at, in order. */
  opened: string[];
  /** The pages of the windows, newest last (for screenshots). */
  pages: Page[];
}

/**
 * Berth's sign-in windows in real Chromium: one browser context per registry stands in for the app's persistent
 * partition (cookies outlive the window), the page's main-frame navigations feed Berth's wait, and a person acts on each page.
 */
export function chromiumWindows(browser: Browser, person: Person): ChromiumWindows {
  const contexts = new Map<string, Promise<BrowserContext>>();
  const opened: string[] = [];
  const pages: Page[] = [];
  const contextFor = (registry: string) => {
    let context = contexts.get(registry);
    if (!context) {
      context = browser.newContext();
      contexts.set(registry, context);
    }
    return context;
  };
  const cookies = async (registry: string, url: string) => (await (await contextFor(registry)).cookies(url)).map(({ name, value }) => ({ name, value }));
  const closers = new Map<string, () => void>();
  const close = (registry: string) => closers.get(registry)?.();
  return {
    opened,
    pages,
    async open(registry, url) {
      close(registry);
      const page = await (await contextFor(registry)).newPage();
      const queue = new PageQueue();
      opened.push(url);
      pages.push(page);
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) queue.push(frame.url());
      });
      page.on('load', () => void person(page).catch(() => undefined));
      page.on('close', () => queue.close());
      const navigated = page.goto(url).catch(() => undefined);
      // Chromium does not finish closing a page whose first navigation is just starting: let it commit, then close.
      const closePage = () => void navigated.then(() => page.close()).catch(() => undefined);
      closers.set(registry, closePage);
      return { nextPage: () => queue.next(), cookies: (at) => cookies(registry, at), close: closePage };
    },
    cookies,
    close,
    async forget(registry) {
      close(registry);
      await (await contextFor(registry)).clearCookies();
    },
  };
}
