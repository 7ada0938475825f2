import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { HarborClient } from '../../main/harbor/client.js';
import { BerthError } from '../../main/errors.js';
import { httpClient } from '../../main/net/http.js';
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
        assert.match(error.message, /TLS error talking to 127\.0\.0\.1:\d+ \(DEPTH_ZERO_SELF_SIGNED_CERT\).*--ca-file/);
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
});
