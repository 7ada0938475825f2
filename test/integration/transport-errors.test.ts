import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createPlainServer } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { HarborClient } from '../../main/harbor/client.js';
import { BerthError } from '../../main/errors.js';
import { httpClient } from '../../main/net/http.js';
import { nodeRequest } from '../../main/net/node-request.js';
import { unless } from '../rig/components.js';

describe('transport failures become states a person can act on', { skip: unless('openssl') }, () => {
  test('a private CA is a TLS error until --ca-file names it; a closed port is unreachable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ auth_mode: 'oidc_auth', oidc_provider_name: 'idp' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await assert.rejects(new HarborClient(url, httpClient(), 'work').systemInfo(), (error: unknown) => {
        assert.ok(error instanceof BerthError);
        assert.equal(error.code, 'tls');
        assert.match(error.message, /TLS error talking to 127\.0\.0\.1:\d+ \(DEPTH_ZERO_SELF_SIGNED_CERT\)\. Its certificate is not signed by a CA this machine trusts.*--ca-file/);
        return true;
      });
      const info = await new HarborClient(url, httpClient({ caFile: join(dir, 'cert.pem') }), 'work').systemInfo();
      assert.equal(info.authMode, 'oidc_auth');
    } finally {
      server.close();
      server.closeAllConnections();
    }
    await assert.rejects(new HarborClient(url, httpClient(), 'work').systemInfo(), (error: unknown) => {
      assert.ok(error instanceof BerthError);
      assert.equal(error.code, 'unreachable');
      assert.match(error.message, /Cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
      return true;
    });
  });

  test('a certificate for another name, and a port that speaks plain http, each get their own advice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=registry.example.org', '-addext', 'subjectAltName=DNS:registry.example.org'], { stdio: 'ignore' });
    const tls = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('{}'));
    const plain = createPlainServer((_req, res) => res.end('{}'));
    await Promise.all([new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve)), new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve))]);
    try {
      const otherName = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
      await assert.rejects(new HarborClient(otherName, httpClient({ caFile: join(dir, 'cert.pem') }), 'work').systemInfo(), (error: unknown) => {
        assert.ok(error instanceof BerthError);
        assert.equal(error.code, 'tls');
        assert.match(error.message, /\(ERR_TLS_CERT_ALTNAME_INVALID\)\. Its certificate is issued for another name than 127\.0\.0\.1/);
        assert.doesNotMatch(error.message, /--ca-file/, 'a trusted certificate for another name is not a CA problem');
        return true;
      });
      const plainHttp = `https://127.0.0.1:${(plain.address() as AddressInfo).port}`;
      await assert.rejects(new HarborClient(plainHttp, httpClient(), 'work').systemInfo(), (error: unknown) => {
        assert.ok(error instanceof BerthError);
        assert.equal(error.code, 'tls');
        assert.match(error.message, new RegExp(`It did not answer in TLS: that port may serve plain http, or it is the wrong port; check the URL ${plainHttp.replace(/\./g, '\\.')}\\.`));
        assert.doesNotMatch(error.message, /--ca-file/);
        return true;
      });
    } finally {
      for (const server of [tls, plain]) {
        server.close();
        server.closeAllConnections();
      }
    }
  });

  test('one deadline covers a request and all its redirects: a server cannot buy itself more time hop by hop', async () => {
    // Each hop answers after 600 ms, well inside the 1 s deadline on its own; three of them together are not.
    let hops = 0;
    const server = createPlainServer((req, res) => {
      hops += 1;
      const hop = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('hop') ?? 0);
      setTimeout(() => (hop < 2 ? res.writeHead(302, { location: `/next?hop=${hop + 1}` }).end() : res.writeHead(200).end('{}')), 600);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const request = nodeRequest({ timeoutMs: 1000 });
      await assert.rejects(
        request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/start`).then((answer) => answer.text()),
        (error: unknown) => /no complete answer within 1 s/.test(String(error)),
      );
      assert.ok(hops < 3, `stopped at hop ${hops}, before the last one`);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
