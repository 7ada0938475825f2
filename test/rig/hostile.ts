import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostileServer {
  url: string;
  /** `METHOD /path` of every request received. */
  requests: string[];
  stop(): Promise<void>;
}

/** A server on 127.0.0.1 that answers however a test says: slow, huge, malformed, redirecting. */
export async function startHostile(handle: (req: IncomingMessage, res: ServerResponse, url: URL) => void): Promise<HostileServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://hostile');
    requests.push(`${req.method} ${url.pathname}`);
    handle(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
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
