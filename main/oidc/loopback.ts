import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BerthError } from '../errors.js';
import { portHolder } from './port-holder.js';

export interface LoopbackListener {
  /** `http://127.0.0.1:<port>/callback`, the redirect URI sent to the provider. */
  readonly redirectUri: string;
  /** Resolves with the full callback URL once the browser arrives; rejects on timeout. */
  readonly callback: Promise<URL>;
  /** Answers the waiting browser with a small page and stops listening. */
  finish(outcome: { ok: boolean; title: string; detail: string }): void;
  close(): void;
}

const callbackPath = '/callback';

function page(outcome: { ok: boolean; title: string; detail: string }): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const colour = outcome.ok ? '#1a7f37' : '#cf222e';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Berth: ${escape(outcome.title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:16px system-ui,sans-serif;margin:15vh auto;max-width:32rem;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem;color:${colour}}@media(prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}}</style></head>
<body><h1>${escape(outcome.title)}</h1><p>${escape(outcome.detail)}</p></body></html>`;
}

/** Why the browser's way back cannot be opened, naming the port and the registry: who holds the port, or what the system refused. */
function listenProblem(error: NodeJS.ErrnoException, fixedPort: number, registry: string): BerthError {
  const where = fixedPort === 0 ? '127.0.0.1' : `127.0.0.1:${fixedPort}`;
  const must = `The sign-in to ${registry} must receive the browser on ${where}${fixedPort === 0 ? '' : ', the port registered at the identity provider'}`;
  if (error.code === 'EADDRINUSE') {
    return new BerthError('port-in-use', `${must}, but ${portHolder(fixedPort) ?? 'another program'} is using it. Close it (or another sign-in in progress) and try again.`, { registry });
  }
  if (error.code === 'EACCES' && fixedPort > 0 && fixedPort < 1024) {
    return new BerthError(
      'port-unavailable',
      `${must}, but only administrators may listen on ports below 1024. Ask the identity provider's administrator to register http://127.0.0.1:<port>/callback ` +
        `with a port of 1024 or more for Berth's client, then add ${registry} again with --loopback-port <port>.`,
      { registry, cause: error },
    );
  }
  return new BerthError('port-unavailable', `${must}, but this system does not let Berth listen there (${error.code ?? error.message}).`, { registry, cause: error });
}

/**
 * Listens on 127.0.0.1 for exactly one OAuth callback (RFC 8252 §7.3), on a port the OS picks unless the provider needs a
 * fixed one. Only the callback of this sign-in ends the wait: its `state`, on Berth's own address. Anything else (another
 * page, a stale or forged callback, a request for another host name, i.e. DNS rebinding) is refused and the wait goes on.
 */
export async function listenForCallback(timeoutMs: number, state: string, fixedPort = 0, registry = 'this registry'): Promise<LoopbackListener> {
  let pending: ServerResponse | undefined;
  let port = 0;
  let settle: { resolve(url: URL): void; reject(error: Error): void } | undefined;
  const callback = new Promise<URL>((resolve, reject) => (settle = { resolve, reject }));
  callback.catch(() => undefined);

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== callbackPath || pending || !settle) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    if (req.headers.host !== `127.0.0.1:${port}` || url.searchParams.get('state') !== state) {
      res
        .writeHead(400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" })
        .end(page({ ok: false, title: 'Not this sign-in', detail: 'This is not the sign-in Berth is waiting for. Finish the login in the tab Berth opened.' }));
      return;
    }
    pending = res;
    const { resolve } = settle;
    settle = undefined;
    clearTimeout(timer);
    resolve(new URL(`${redirectUri}${url.search}`));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenProblem(error, fixedPort, registry)));
    server.listen(fixedPort, '127.0.0.1', () => resolve());
  });
  ({ port } = server.address() as AddressInfo);
  const redirectUri = `http://127.0.0.1:${port}${callbackPath}`;

  const close = () => {
    server.close();
    server.closeAllConnections();
    if (settle) {
      settle.reject(new BerthError('cancelled', 'The sign-in was broken off; nothing changed.'));
      settle = undefined;
    }
  };

  const timer = setTimeout(() => {
    settle?.reject(new BerthError('timeout', `Sign-in timed out after ${Math.round(timeoutMs / 1000)} s: the browser never came back to Berth. Try again, and finish the login in the browser that opens.`));
    settle = undefined;
    close();
  }, timeoutMs);
  timer.unref();

  return {
    redirectUri,
    callback,
    finish(outcome) {
      const res = pending;
      pending = undefined;
      if (res) {
        res.writeHead(outcome.ok ? 200 : 400, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
          connection: 'close',
        });
        res.end(page(outcome), () => close());
      } else {
        close();
      }
    },
    close() {
      clearTimeout(timer);
      const res = pending;
      pending = undefined;
      res?.destroy();
      close();
    },
  };
}
