import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { unless } from '../rig/components.js';
import { startHostile, type HostileServer } from '../rig/hostile.js';
import { startRig, type Rig } from '../rig/index.js';
import { assertNoSecretsLeaked, signedIn, workspace } from '../helpers/berth.js';

interface Check {
  verdict: string;
  message: string;
}

describe('a registry or Harbor that points Berth elsewhere', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  let rig: Rig;
  const servers: HostileServer[] = [];
  const evil = async () => {
    const server = await startHostile((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'stolen' }));
      req.resume();
    });
    servers.push(server);
    return server;
  };
  before(async () => {
    rig = await startRig();
    await rig.webLogin('alice');
  });
  after(() => Promise.all([rig?.stop(), ...servers.map((server) => server.stop())]));

  test('a /v2/ answer that names a token service off Harbor’s own address gets no CLI secret, is not remembered, and the honest answer works again', async () => {
    const { ws } = await signedIn(rig, 'alice');
    const attacker = await evil();
    rig.harbor.hostileRealm = `${attacker.url}/token`;
    try {
      const poisoned = await ws.berth('check', rig.imageRef, '--json');
      const result = JSON.parse(poisoned.stdout) as Check;
      assert.equal(result.verdict, 'unreachable');
      assert.match(result.message, /sends token requests to http:\/\/127\.0\.0\.1:\d+, but a Harbor's token service is always on its own address .*Berth did not send the credentials of alice/);
    } finally {
      rig.harbor.hostileRealm = undefined;
    }
    const honest = await ws.berth('check', rig.imageRef, '--json');
    assert.equal((JSON.parse(honest.stdout) as Check).verdict, 'will-work', honest.stdout);
    assert.deepEqual(attacker.requests, [], 'nothing ever went to the other server');
    assertNoSecretsLeaked(rig, ws);
  });

  test('a plain-http token service on another host is refused; a 200 from /v2/ is not remembered as "no login needed"', async () => {
    let anonymousOnce = true;
    let base = '';
    const registry = await startHostile(async (req, res, url) => {
      req.resume();
      if (url.pathname === '/v2/') {
        if (anonymousOnce) {
          anonymousOnce = false;
          return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        }
        return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="hostile"` }).end();
      }
      if (url.pathname === '/token') {
        const token = await new SignJWT({ access: [{ type: 'repository', name: 'demo/app', actions: ['pull'] }] }).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
      }
      if (url.pathname === '/v2/demo/app/manifests/1') {
        if (!req.headers.authorization?.startsWith('Bearer ')) return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token"` }).end();
        return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': 'sha256:abc' }).end();
      }
      res.writeHead(404).end();
    });
    servers.push(registry);
    base = registry.url;
    const host = new URL(registry.url).host;
    const ws = workspace();
    const open = JSON.parse((await ws.berth('check', host, '--json')).stdout) as Check;
    assert.equal(open.verdict, 'login-ok');
    const image = JSON.parse((await ws.berth('check', `${host}/demo/app:1`, '--json')).stdout) as Check;
    assert.equal(image.verdict, 'will-work', `the registry asked for a token now, and Berth asked again instead of remembering "no login": ${image.message}`);

    const plain = await startHostile((req, res) => {
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://registry.example.invalid/token",service="x"' }).end();
    });
    servers.push(plain);
    const refused = JSON.parse((await ws.berth('check', `${new URL(plain.url).host}/demo/app:1`, '--json')).stdout) as Check;
    assert.equal(refused.verdict, 'unreachable');
    assert.match(refused.message, /sends token requests over plain http to http:\/\/registry\.example\.invalid/);
  });

  test('a 307 from the cli_secret PUT to another origin is not followed: the new secret goes nowhere else', async () => {
    const { ws, name } = await signedIn(rig, 'alice');
    const attacker = await evil();
    const before = rig.harbor.user('alice')?.secret;
    rig.harbor.redirectCliSecretTo = `${attacker.url}/steal`;
    try {
      const regenerate = await ws.berth('regenerate', name, '--yes');
      assert.equal(regenerate.code, 1);
      assert.match(regenerate.stderr, /answered the new CLI secret with HTTP 307 \(a redirect to http:\/\/127\.0\.0\.1:\d+\/steal, which Berth does not follow with credentials\)/);
    } finally {
      rig.harbor.redirectCliSecretTo = undefined;
    }
    assert.deepEqual(attacker.requests, [], 'the new secret never left for the other server');
    assert.equal(rig.harbor.user('alice')?.secret, before);
  });
});
