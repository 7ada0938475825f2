import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createPlainServer } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { HarborClient } from '../../main/harbor/client.js';
import { BerthError } from '../../main/errors.js';
import { httpClient, networkError } from '../../main/net/http.js';
import { nodeRequest } from '../../main/net/node-request.js';
import { runDoctor } from '../../main/doctor/doctor.js';
import { selfSigned, TestCa, type Issued } from '../helpers/tls-certs.js';
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
        assert.match(error.message, /TLS error talking to 127\.0\.0\.1:\d+ \(DEPTH_ZERO_SELF_SIGNED_CERT\)\. It presents a self-signed certificate, issued by no CA.*`berth set work --ca-file <server-cert\.pem>`/);
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
      // A closed port is no network trouble: the advice says what a refused connection means.
      assert.match(error.message, /Cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Nothing accepts connections on that port: the server is down or listens elsewhere\.$/);
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

/** An https server with this certificate that answers like Harbor's systeminfo; stopped by `close`. */
async function tlsServer(issued: Issued): Promise<{ url: string; close(): void }> {
  const server = createServer({ key: issued.keyPem, cert: issued.certPem }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ auth_mode: 'oidc_auth' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}

/** What the registry "work" (`null`: a Harbor being added) is told when its Harbor's certificate fails, with the CA file Berth was given (if any). */
async function tlsMessage(url: string, caFile?: string, registry: string | null = 'work'): Promise<string> {
  const error = await new HarborClient(url, httpClient({ caFile }), registry ?? undefined).systemInfo().then(
    () => assert.fail('the TLS check should have failed'),
    (failure: unknown) => failure,
  );
  assert.ok(error instanceof BerthError);
  assert.equal(error.code, 'tls', error.message);
  return error.message;
}

describe('each kind of TLS failure has its own cause and its own fix, with real certificates made by openssl', { skip: unless('openssl') }, () => {
  test('a CA this machine does not trust: `berth set <name> --ca-file` with that CA, which then works; while adding, `berth add … --ca-file`', async () => {
    const ca = new TestCa();
    const server = await tlsServer(ca.issue('IP:127.0.0.1'));
    try {
      const message = await tlsMessage(server.url);
      assert.match(message, /\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)\. Its certificate is issued by a CA this machine does not trust \(a company or private CA\): give Berth that CA's certificate \(PEM\) with `berth set work --ca-file <ca\.pem>`\./);
      assert.doesNotMatch(message, /self-signed|clock|another name/);
      assert.match(await tlsMessage(server.url, undefined, null), /--ca-file <ca\.pem> \(`berth add harbor <name> --url … --ca-file <ca\.pem>`, or `berth set <name> --ca-file <ca\.pem>` for a registry already added\)/);
      assert.equal((await new HarborClient(server.url, httpClient({ caFile: ca.ca.cert }), 'work').systemInfo()).authMode, 'oidc_auth');
    } finally {
      server.close();
    }
  });

  test('a self-signed server certificate: ask for a real one, or trust that very certificate with `berth set`, which then works', async () => {
    const own = selfSigned('IP:127.0.0.1');
    const server = await tlsServer(own);
    try {
      const message = await tlsMessage(server.url);
      assert.match(message, /\(DEPTH_ZERO_SELF_SIGNED_CERT\)\. It presents a self-signed certificate, issued by no CA: ask its administrator for one from a CA your machines trust; or, if you are sure this is the right server, trust that very certificate with `berth set work --ca-file <server-cert\.pem>` \(`openssl s_client -connect 127\.0\.0\.1:\d+ -showcerts` prints it\)\./);
      assert.equal((await new HarborClient(server.url, httpClient({ caFile: own.cert }), 'work').systemInfo()).authMode, 'oidc_auth');
    } finally {
      server.close();
    }
  });

  test('a certificate for another host name: use the name it is for; no CA file can fix that', async () => {
    const ca = new TestCa();
    const server = await tlsServer(ca.issue('DNS:harbor.example.org'));
    try {
      const message = await tlsMessage(server.url, ca.ca.cert);
      assert.match(message, /\(ERR_TLS_CERT_ALTNAME_INVALID\)\. Its certificate is issued for another name than 127\.0\.0\.1: use the name the certificate is for/);
      assert.doesNotMatch(message, /--ca-file|clock/);
    } finally {
      server.close();
    }
  });

  test('an expired certificate is for the server’s administrator to renew; one not valid yet points at this machine’s clock', async () => {
    const ca = new TestCa();
    const expired = await tlsServer(ca.issue('IP:127.0.0.1', { from: '20200101000000Z', until: '20200102000000Z' }));
    const early = await tlsServer(ca.issue('IP:127.0.0.1', { from: '20990101000000Z', until: '20990102000000Z' }));
    try {
      const old = await tlsMessage(expired.url, ca.ca.cert);
      assert.match(old, /\(CERT_HAS_EXPIRED\)\. Its certificate has expired: the server's administrator must renew it\. If the date on this machine is wrong, fix the clock instead/);
      assert.doesNotMatch(old, /--ca-file/);
      const future = await tlsMessage(early.url, ca.ca.cert);
      assert.match(future, /\(CERT_NOT_YET_VALID\)\. Its certificate is not valid yet: this machine's clock is probably behind; turn on network time/);
      assert.doesNotMatch(future, /--ca-file/);
    } finally {
      expired.close();
      early.close();
    }
  });

  test('the app’s network (Chromium’s net::ERR_CERT_* errors) gets the same advice, not "check the network"', () => {
    const url = 'https://harbor.example.org/api/v2.0/systeminfo';
    const unknown = networkError(new Error('net::ERR_CERT_AUTHORITY_INVALID'), url, 'work');
    assert.equal(unknown.code, 'tls');
    assert.match(unknown.message, /issued by a CA this machine does not trust.*`berth set work --ca-file <ca\.pem>`/);
    assert.match(networkError(new Error('net::ERR_CERT_COMMON_NAME_INVALID'), url, 'work').message, /issued for another name than harbor\.example\.org/);
    assert.match(networkError(new Error('net::ERR_CERT_DATE_INVALID'), url, 'work').message, /has expired: the server's administrator must renew it/);
    assert.equal(networkError(new Error('net::ERR_CONNECTION_REFUSED'), url, 'work').code, 'unreachable');
  });

  test('a name no DNS knows and a refused port each say what they mean, in the CLI and in the app, instead of "check the network"', () => {
    const url = 'https://harbor.example.org/api/v2.0/systeminfo';
    // Made up rather than looked up: a test sends no traffic off this machine, DNS included.
    const unresolved = Object.assign(new Error('getaddrinfo ENOTFOUND harbor.example.org'), { code: 'ENOTFOUND' });
    const chromium = new Error('net::ERR_NAME_NOT_RESOLVED');
    for (const error of [unresolved, new TypeError('fetch failed', { cause: unresolved }), chromium]) {
      const reported = networkError(error, url, 'work');
      assert.equal(reported.code, 'unreachable');
      assert.equal(reported.message, "Cannot reach harbor.example.org (ENOTFOUND). This machine's DNS does not know the name harbor.example.org: check its spelling, or connect the VPN whose DNS knows it.");
    }
    assert.equal(
      networkError(new Error('net::ERR_CONNECTION_REFUSED'), url, 'work').message,
      'Cannot reach harbor.example.org (ECONNREFUSED). Nothing accepts connections on that port: the server is down or listens elsewhere, or a firewall refuses it.',
    );
    const timedOut = Object.assign(new Error('connect ETIMEDOUT 10.0.0.1:443'), { code: 'ETIMEDOUT' });
    assert.match(networkError(timedOut, url, 'work').message, /\(ETIMEDOUT\)\. Check the network or VPN and try again\.$/);
  });

  test('berth doctor gives the TLS advice for a registry whose server fails the TLS check, not "check the network, VPN or proxy"', async () => {
    const ca = new TestCa();
    const server = await tlsServer(ca.issue('IP:127.0.0.1'));
    const home = mkdtempSync(join(tmpdir(), 'berth-doctor-'));
    writeFileSync(join(home, 'settings.json'), JSON.stringify({ registries: [{ name: 'work', kind: 'harbor', method: 'web', url: server.url, idleDays: 30 }] }));
    try {
      const findings = await runDoctor({ env: { ...process.env, BERTH_HOME: home, DOCKER_CONFIG: join(home, 'docker') }, timeoutMs: 5000 });
      const tls = findings.find((finding) => finding.area === 'network' && !finding.ok);
      assert.ok(tls, JSON.stringify(findings));
      assert.match(tls.message, /^work: the Harbor at 127\.0\.0\.1:\d+ failed the TLS check \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)\.$/);
      assert.match(tls.remedy ?? '', /^Its certificate is issued by a CA this machine does not trust .*`berth set work --ca-file <ca\.pem>`\.$/);
      assert.doesNotMatch(tls.remedy ?? '', /network, VPN or proxy/);
    } finally {
      server.close();
    }
  });
});
