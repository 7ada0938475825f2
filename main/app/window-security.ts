import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import type { BrowserWindowConstructorOptions } from 'electron';

/** The window's page is served from this origin (a privileged custom scheme), never from file:// or the network. */
export const rendererScheme = 'app';
export const rendererOrigin = `${rendererScheme}://berth`;

/** Only the page's own scripts and styles; no network, no frames, no plugins, no inline code. */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The Electron security checklist for Berth's one window: isolated, sandboxed, no Node in the page; DevTools only unpackaged. */
export function windowOptions(preload: string, devTools: boolean): BrowserWindowConstructorOptions {
  return {
    width: 960,
    height: 720,
    minWidth: 560,
    minHeight: 420,
    title: 'Berth',
    show: false,
    autoHideMenuBar: true,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools,
    },
  };
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** The file under the renderer's build folder that a page URL names, or `null` for a type it does not serve or a broken escape. */
export function rendererFile(url: string, root: string): { path: string; contentType: string } | null {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url).pathname);
  } catch {
    return null;
  }
  // Normalizing a rooted path resolves every `..` (from encoded slashes too) at the root, so the file is always under `root`.
  const relative = normalize(path === '/' ? '/index.html' : path).replace(/^[/\\]+/, '');
  const contentType = contentTypes[extname(relative)];
  return contentType ? { path: join(root, relative), contentType } : null;
}

/** The answer to one request for the window's page: the file with its type and the CSP, or 404. */
export async function rendererResponse(url: string, root: string): Promise<{ status: 200 | 404; headers: Record<string, string>; body: Buffer | string }> {
  const file = rendererFile(url, root);
  if (file) {
    try {
      return { status: 200, headers: { 'content-type': file.contentType, 'content-security-policy': contentSecurityPolicy }, body: await readFile(file.path) };
    } catch {
      // A name that maps to no file is an ordinary 404.
    }
  }
  return { status: 404, headers: {}, body: 'Not found' };
}

/** Is this URL a page of Berth's own window? Every IPC call and navigation is judged by it. */
export function isRendererUrl(url: string | undefined, origin = rendererOrigin): boolean {
  if (!url) return false;
  try {
    const parsed = new URL(url);
    // Not `origin`: WHATWG URL gives a custom scheme's origin as "null".
    return `${parsed.protocol}//${parsed.host}` === origin;
  } catch {
    return false;
  }
}
