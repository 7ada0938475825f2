import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { bridgeHandlers, forwardBridgeEvents, type BridgePlatform } from '../../main/api/bridge.js';
import type { BridgeEvent, BridgeReply } from '../../main/api/bridge-contract.js';
import type { BerthApi } from '../../main/api/index.js';
import { registerBridge, type IpcCaller, type IpcRegistry } from '../../main/app/ipc.js';
import { isRendererUrl, rendererResponse } from '../../main/app/window-security.js';
import { chromiumPath } from '../rig/components.js';
import { projectRoot } from './berth.js';

export const rendererRoot = join(projectRoot, 'dist', 'renderer');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** The built window page over loopback HTTP, answered by the same function as the app's own protocol (files and CSP). */
export async function serveRenderer(): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    void rendererResponse(new URL(request.url ?? '/', 'http://127.0.0.1').href, rendererRoot).then(({ status, headers, body }) => response.writeHead(status, headers).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// The page side of the bridge is the preload's own client, bundled for a page binding instead of Electron's IPC.
let pageBridgeScript: Promise<string> | undefined;
function pageBridge(): Promise<string> {
  pageBridgeScript ??= build({
    stdin: {
      contents: `
        import { bridgeClient } from './main/api/bridge-client.ts';
        const listeners = new Set();
        window.__berthEvent = (event) => listeners.forEach((listener) => listener(event));
        window.berth = bridgeClient((channel, payload) => window.__berthInvoke(channel, payload), (listener) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        });`,
      resolveDir: projectRoot,
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    write: false,
    logLevel: 'silent',
  }).then((result) => result.outputFiles[0]?.text ?? '');
  return pageBridgeScript;
}

/** Everything that crossed the bridge to the page, for the check that no secret ever does. */
export interface BridgeTraffic {
  replies: BridgeReply[];
  events: BridgeEvent[];
}

/**
 * Berth's window in Chromium: the bridge handlers are registered through the same `registerBridge` as in the
 * app (a page binding stands in for `ipcMain`), and status events reach the page as the preload delivers them.
 */
export async function openWindow(browser: Browser, api: BerthApi, platform: BridgePlatform, origin: string): Promise<{ page: Page; traffic: BridgeTraffic; close(): Promise<void> }> {
  const listeners = new Map<string, (caller: IpcCaller, payload: unknown) => Promise<BridgeReply>>();
  const ipc: IpcRegistry = {
    handle: (channel, listener) => listeners.set(channel, listener),
    removeHandler: (channel) => listeners.delete(channel),
  };
  const traffic: BridgeTraffic = { replies: [], events: [] };
  const page = await browser.newPage({ viewport: { width: 980, height: 900 } });
  const unregister = registerBridge(ipc, bridgeHandlers(api, platform), (caller) => caller.sender.id === 1 && isRendererUrl(caller.senderFrame?.url, origin), {
    warn: () => undefined,
  });
  await page.exposeBinding('__berthInvoke', async (source, channel: string, payload: unknown) => {
    const listener = listeners.get(channel);
    const reply: BridgeReply = listener ? await listener({ sender: { id: 1 }, senderFrame: { url: source.frame.url() } }, payload) : { ok: false, error: `no handler for ${channel}` };
    traffic.replies.push(reply);
    return reply;
  });
  await page.addInitScript(await pageBridge());
  const stopEvents = forwardBridgeEvents(api, (event) => {
    traffic.events.push(event);
    page.evaluate((pushed) => (globalThis as unknown as { __berthEvent(event: unknown): void }).__berthEvent(pushed), event).catch(() => undefined);
  });
  return {
    page,
    traffic,
    async close() {
      stopEvents();
      unregister();
      await page.close();
    },
  };
}
