import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HarborClient } from '../../main/harbor/client.js';
import { httpClient } from '../../main/net/http.js';
import { nodeRequest } from '../../main/net/node-request.js';
import { projectRoot, run } from '../helpers/berth.js';
import { node22Binary, unless } from '../rig/components.js';

/** A CA, and a server certificate it signed for the registry's name and for 127.0.0.1. */
function certificates(dir: string): { ca: string; key: string; cert: string } {
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('ca-key.pem'), '-out', at('ca.pem'), '-days', '1', '-subj', '/CN=Corp Test Root CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('key.pem'), '-out', at('server.csr'), '-subj', '/CN=harbor.corp.test');
  writeFileSync(at('san.ext'), 'subjectAltName=DNS:harbor.corp.test,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca-key.pem'), '-CAcreateserial', '-out', at('cert.pem'), '-days', '1', '-extfile', at('san.ext'));
  return { ca: at('ca.pem'), key: at('key.pem'), cert: at('cert.pem') };
}

/**
 * An HTTP CONNECT proxy as offices run them: the only way out, and the only one that resolves the registry's name
 * (harbor.corp.test exists for it alone). It keeps what it was asked to connect to.
 */
function startProxy(names: Map<string, number>): Promise<{ server: HttpServer; url: string; tunnels: string[] }> {
  const tunnels: string[] = [];
  const server = createHttpServer((_request, response) => response.writeHead(502).end());
  server.on('connect', (request, client, head) => {
    tunnels.push(`CONNECT ${request.url}`);
    const [host, port] = (request.url ?? '').split(':');
    const target = host && names.get(`${host}:${port}`);
    if (!target) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstream = connect(target, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tunnels })));
}

function close(server: HttpServer | HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

describe('an office network: a proxy from the environment, and a CA only the OS trusts', { skip: unless('openssl') }, () => {
  let dir: string;
  let files: { ca: string; key: string; cert: string };
  let harbor: HttpsServer;
  let port: number;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-office-'));
    files = certificates(dir);
    harbor = createHttpsServer({ key: readFileSync(files.key), cert: readFileSync(files.cert) }, (request, response) => {
      if (request.url === '/api/v2.0/systeminfo') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"auth_mode":"oidc_auth","oidc_provider_name":"corp-sso"}');
      response.writeHead(401, { 'www-authenticate': 'Bearer realm="https://harbor.corp.test/service/token",service="harbor-registry"' }).end();
    });
    await new Promise<void>((resolve) => harbor.listen(0, '127.0.0.1', resolve));
    port = (harbor.address() as AddressInfo).port;
    proxy = await startProxy(new Map([[`harbor.corp.test:${port}`, port]]));
  });
  after(async () => {
    delete process.env.HTTPS_PROXY;
    await Promise.all([harbor && close(harbor), proxy && close(proxy.server)]);
  });

  test('with HTTPS_PROXY set, Harbor\'s API and the registry checks go through the proxy; this machine\'s own addresses never do', async () => {
    process.env.HTTPS_PROXY = proxy.url;
    const origin = `https://harbor.corp.test:${port}`;
    const info = await new HarborClient(origin, httpClient({ caFile: files.ca }), 'work').systemInfo();
    assert.equal(info.authMode, 'oidc_auth');
    assert.deepEqual(proxy.tunnels, [`CONNECT harbor.corp.test:${port}`], 'the API call went through the proxy');

    const challenge = await nodeRequest({ caFile: files.ca })(`${origin}/v2/`);
    assert.equal(challenge.status, 401);
    assert.match(challenge.headers.get('www-authenticate') ?? '', /realm="https:\/\/harbor\.corp\.test\/service\/token"/);
    assert.equal(proxy.tunnels.length, 2, 'so did the registry check');

    const direct = await new HarborClient(`https://127.0.0.1:${port}`, httpClient({ caFile: files.ca }), 'local').systemInfo();
    assert.equal(direct.authMode, 'oidc_auth');
    assert.equal(proxy.tunnels.length, 2, 'loopback is never sent to a proxy');
  });

  test('on Node 22 (the Node inside Electron 45), a CA in the OS store is trusted without --ca-file; without it, it is a TLS error', { skip: unless('node22') }, async () => {
    const node22 = node22Binary() as string;
    const script = join(dir, 'system-info.mjs');
    writeFileSync(
      script,
      [
        `import { HarborClient } from ${JSON.stringify(join(projectRoot, 'dist', 'main', 'harbor', 'client.js'))};`,
        `import { httpClient } from ${JSON.stringify(join(projectRoot, 'dist', 'main', 'net', 'http.js'))};`,
        `const info = await new HarborClient('https://127.0.0.1:${port}', httpClient(), 'work').systemInfo().catch((error) => ({ authMode: error.message }));`,
        'console.log(info.authMode);',
        '',
      ].join('\n'),
    );
    const { HTTPS_PROXY: _proxy, NODE_EXTRA_CA_CERTS: _extra, ...env } = process.env;
    // OpenSSL's store, which Node reads as the system's on Linux: here it holds the office CA alone.
    const emptyDir = join(dir, 'certs');
    mkdirSync(emptyDir, { recursive: true });
    const trusted = await run(node22, [script], { ...env, SSL_CERT_FILE: files.ca, SSL_CERT_DIR: emptyDir });
    assert.equal(trusted.stdout, 'oidc_auth\n', trusted.stderr);
    const untrusted = await run(node22, [script], { ...env, SSL_CERT_FILE: join(dir, 'nothing.pem'), SSL_CERT_DIR: emptyDir });
    assert.match(untrusted.stdout, /TLS error talking to 127\.0\.0\.1:\d+ .*issued by a CA this machine does not trust/);
  });
});
