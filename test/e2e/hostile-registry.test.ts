import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { unless } from '../rig/components.js';
import { loopbackCertificate, startHostile, type HostileServer } from '../rig/hostile.js';
import { startRig, type Rig } from '../rig/index.js';
import { assertNoSecretsLeaked, helperOnPath, projectRoot, run, signedIn, waitFor, workspace, type Workspace } from '../helpers/berth.js';

interface Check {
  verdict: string;
  message: string;
}

interface Remembered {
  realm?: string;
  until: number;
}

function pullToken(repository: string, marker = 'now'): Promise<string> {
  return new SignJWT({ marker, access: [{ type: 'repository', name: repository, actions: ['pull'] }] }).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
}

/** The token `marker` of a Bearer header from `pullToken`, or undefined. */
function markerOf(req: IncomingMessage): string | undefined {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return undefined;
  return (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { marker?: string }).marker;
}

/** A registry (not a Harbor) whose /v2/ names the token service `realm()` says; its manifest demo/app:1 wants a token marked "now". */
function tokenRegistry(realm: () => string, extra: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean = () => false, v2Headers: Record<string, string> = {}) {
  return (req: IncomingMessage, res: ServerResponse, url: URL) => {
    req.resume();
    if (extra(req, res, url)) return;
    if (url.pathname === '/v2/') return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm()}",service="registry.test"`, ...v2Headers }).end();
    if (url.pathname === '/v2/demo/app/manifests/1') {
      if (markerOf(req) !== 'now') return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm()}",service="registry.test"` }).end();
      return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': 'sha256:abc' }).end();
    }
    res.writeHead(404).end();
  };
}

function challengeCache(ws: Workspace): Record<string, Remembered> {
  return JSON.parse(readFileSync(join(ws.berthHome, 'registry-challenges.json'), 'utf8')) as Record<string, Remembered>;
}

function remember(ws: Workspace, host: string, realm: string, service: string): void {
  mkdirSync(ws.berthHome, { recursive: true });
  writeFileSync(join(ws.berthHome, 'registry-challenges.json'), JSON.stringify({ [host]: { scheme: 'bearer', realm, service, until: Date.now() + 3_600_000 } }));
}

async function check(ws: Workspace, image: string): Promise<Check> {
  const result = await ws.berth('check', image, '--json');
  return JSON.parse(result.stdout) as Check;
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

  test('a registry that is not a Harbor may name an https token service on another origin, as Docker Hub does, and gets the credentials there; plain http to another host gets nothing', async () => {
    const certificate = loopbackCertificate();
    const sentToAuth: string[] = [];
    const auth = await startHostile((req, res) => {
      req.resume();
      sentToAuth.push(req.headers.authorization ?? '');
      void pullToken('demo/app').then((token) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token })));
    }, certificate);
    servers.push(auth);
    const hub = await startHostile(tokenRegistry(() => `${auth.url}/token`));
    const plain = await startHostile(tokenRegistry(() => 'http://auth.example.invalid/token'));
    servers.push(hub, plain);
    const [hubHost, plainHost] = [new URL(hub.url).host, new URL(plain.url).host];
    const ws = workspace();
    ws.env.NODE_EXTRA_CA_CERTS = certificate.path;
    helperOnPath(ws);
    // Token registries, as docker login through docker-credential-berth keeps them: docker's config names Berth's helper for both.
    mkdirSync(ws.dockerConfig, { recursive: true });
    writeFileSync(join(ws.dockerConfig, 'config.json'), JSON.stringify({ credHelpers: { [hubHost]: 'berth', [plainHost]: 'berth' } }));
    for (const host of [hubHost, plainHost]) {
      const stored = await run(process.execPath, [join(projectRoot, 'bin', 'docker-credential-berth.js'), 'store'], ws.env, JSON.stringify({ ServerURL: host, Username: 'robot', Secret: 'Robot-Token-1' }));
      assert.equal(stored.code, 0, stored.stdout + stored.stderr);
    }

    const hubCheck = await check(ws, `${hubHost}/demo/app:1`);
    assert.equal(hubCheck.verdict, 'will-work', hubCheck.message);
    assert.deepEqual(sentToAuth, [`Basic ${Buffer.from('robot:Robot-Token-1').toString('base64')}`], 'the token service on the other origin was asked with the credentials');

    const plainCheck = await check(ws, `${plainHost}/demo/app:1`);
    assert.equal(plainCheck.verdict, 'unreachable');
    assert.match(plainCheck.message, /sends token requests over plain http to http:\/\/auth\.example\.invalid; Berth did not send the credentials of robot/);
    assert.ok(!Object.hasOwn(challengeCache(ws), plainHost), 'the refused token service is not remembered');
  });

  test('a token service remembered in registry-challenges.json that breaks the rules is dropped and never asked; the honest one takes its place', async () => {
    const { ws } = await signedIn(rig, 'alice');
    const attacker = await evil();
    const harborHost = new URL(rig.harbor.url).host;
    remember(ws, harborHost, `${attacker.url}/token`, 'harbor-registry');
    const harbor = await check(ws, rig.imageRef);
    assert.equal(harbor.verdict, 'will-work', harbor.message);
    assert.deepEqual(attacker.requests, [], 'the CLI secret never went to the remembered token service');
    assert.equal(challengeCache(ws)[harborHost]?.realm, `${rig.harbor.url}/service/token`);

    let base = '';
    const registry = await startHostile(tokenRegistry(() => `${base}/token`, (_req, res, url) => {
      if (url.pathname !== '/token') return false;
      void pullToken('demo/app').then((token) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token })));
      return true;
    }));
    servers.push(registry);
    base = registry.url;
    const host = new URL(registry.url).host;
    remember(ws, host, 'http://auth.example.invalid/token', 'registry.test');
    const other = await check(ws, `${host}/demo/app:1`);
    assert.equal(other.verdict, 'will-work', other.message);
    assert.equal(challengeCache(ws)[host]?.realm, `${registry.url}/token`);
    assertNoSecretsLeaked(rig, ws);
  });

  test('a 401 against a remembered token service, from the token service or from the registry, makes Berth learn the challenge again', async () => {
    let base = '';
    let old: 'rejects' | 'stale token' = 'rejects';
    const registry = await startHostile(tokenRegistry(() => `${base}/token-now`, (_req, res, url) => {
      if (url.pathname !== '/token-now' && url.pathname !== '/token-then') return false;
      // The old token service either refuses everyone now, or still hands out tokens the registry no longer takes.
      if (url.pathname === '/token-then' && old === 'rejects') {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="gone"' }).end();
        return true;
      }
      void pullToken('demo/app', url.pathname === '/token-now' ? 'now' : 'then').then((token) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token })));
      return true;
    }));
    servers.push(registry);
    base = registry.url;
    const host = new URL(registry.url).host;
    const ws = workspace();
    for (const how of ['rejects', 'stale token'] as const) {
      old = how;
      registry.requests.length = 0;
      remember(ws, host, `${base}/token-then`, 'registry.test');
      const result = await check(ws, `${host}/demo/app:1`);
      assert.equal(result.verdict, 'will-work', `${how}: ${result.message}`);
      assert.ok(registry.requests.indexOf('GET /v2/') > registry.requests.indexOf('GET /token-then'), `${how}: asked /v2/ again after the 401: ${registry.requests.join(', ')}`);
      assert.equal(challengeCache(ws)[host]?.realm, `${base}/token-now`, how);
    }
  });

  test('a challenge is remembered no longer than the /v2/ answer allows (Cache-Control max-age, no-store), and only briefly when it says nothing', async () => {
    const ws = workspace();
    const serve = async (cacheControl?: string) => {
      let base = '';
      const registry = await startHostile(tokenRegistry(() => `${base}/token`, (_req, res, url) => {
        if (url.pathname !== '/token') return false;
        void pullToken('demo/app').then((token) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token })));
        return true;
      }, cacheControl === undefined ? {} : { 'cache-control': cacheControl }));
      servers.push(registry);
      base = registry.url;
      const host = new URL(registry.url).host;
      const twice = async () => {
        for (let i = 0; i < 2; i++) assert.equal((await check(ws, `${host}/demo/app:1`)).verdict, 'will-work');
        return registry.requests.filter((line) => line === 'GET /v2/').length;
      };
      return { host, twice, asked: () => registry.requests.filter((line) => line === 'GET /v2/').length };
    };
    const hour = await serve('max-age=3600');
    assert.equal(await hour.twice(), 1, 'a fresh remembered challenge spares the second GET /v2/');
    const never = await serve('no-store');
    assert.equal(await never.twice(), 2, 'no-store: never remembered');
    assert.ok(!Object.hasOwn(challengeCache(ws), never.host));

    // Harbor's and distribution's /v2/ answers say nothing about caching: a realm learned from one is not trusted for an hour.
    const silent = await serve();
    const asked = Date.now();
    assert.equal((await check(ws, `${silent.host}/demo/app:1`)).verdict, 'will-work');
    const briefly = challengeCache(ws)[silent.host]?.until ?? 0;
    assert.ok(briefly > asked && briefly <= Date.now() + 5 * 60_000, `remembered until ${Math.round((briefly - asked) / 1000)} s after the check began: at most 5 minutes`);

    const second = await serve('max-age=1');
    const before = Date.now();
    assert.equal((await check(ws, `${second.host}/demo/app:1`)).verdict, 'will-work');
    const until = challengeCache(ws)[second.host]?.until ?? 0;
    assert.ok(until <= Date.now() + 1000 && until >= before + 1000, `remembered until ${until - before} ms after the check began, not for max-age=1`);
    await waitFor('the remembered challenge is past its max-age', () => Date.now() > until, 10_000);
    assert.equal((await check(ws, `${second.host}/demo/app:1`)).verdict, 'will-work');
    assert.equal(second.asked(), 2, 'past its max-age the challenge was learned again');
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
