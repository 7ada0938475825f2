import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface HostileServer {
  url: string;
  /** `METHOD /path` of every request received. */
  requests: string[];
  stop(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1; `path` is its PEM file, for `NODE_EXTRA_CA_CERTS` or `--ca-file`. */
export interface LoopbackCertificate {
  key: string;
  cert: string;
  path: string;
}

export function loopbackCertificate(): LoopbackCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
  const [key, path] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', path, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(path, 'utf8'), path };
}

/** A server on 127.0.0.1 (https with `tls`) that answers however a test says: slow, huge, malformed, redirecting. */
export async function startHostile(handle: (req: IncomingMessage, res: ServerResponse, url: URL) => void, tls?: LoopbackCertificate): Promise<HostileServer> {
  const requests: string[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://hostile');
    requests.push(`${req.method} ${url.pathname}`);
    handle(req, res, url);
  };
  const server: Server = tls ? createTlsServer({ key: tls.key, cert: tls.cert }, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Headers now, then one byte every `everyMs`, never finishing. */
export function trickle(res: ServerResponse, everyMs = 2000): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  const timer = setInterval(() => res.write(' '), everyMs);
  res.on('close', () => clearInterval(timer));
}

/** `megabytes` of JSON-looking bytes, streamed. */
export function huge(res: ServerResponse, megabytes: number): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  let sent = 0;
  const more = () => {
    while (sent < megabytes) {
      sent += 1;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    res.end('{}');
  };
  res.write('{"token": "');
  more();
}
