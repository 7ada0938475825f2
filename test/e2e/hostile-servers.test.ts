import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createNodeApi } from '../../main/api/node.js';
import { HarborClient, idTokenAuth } from '../../main/harbor/client.js';
import { httpClient } from '../../main/net/http.js';
import { huge, startHostile, trickle, type HostileServer } from '../rig/hostile.js';
import { unless } from '../rig/components.js';
import { helperOnPath, projectRoot, run, workspace } from '../helpers/berth.js';
import { anyLoginRegistry } from '../helpers/writers.js';

const helperBin = join(projectRoot, 'bin', 'docker-credential-berth.js');
const servers: HostileServer[] = [];

async function hostile(...args: Parameters<typeof startHostile>): Promise<HostileServer> {
  const server = await startHostile(...args);
  servers.push(server);
  return server;
}

/** A registry whose /v2/ sends clients to a token service on the same server, which then misbehaves. */
function registryWithTokenService(tokenService: Parameters<typeof startHostile>[0]): Promise<HostileServer> {
  let base = '';
  const server = hostile((req, res, url) => {
    if (url.pathname === '/v2/') return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="hostile"` }).end();
    if (url.pathname === '/token') return tokenService(req, res, url);
    res.writeHead(404).end();
  });
  return server.then((started) => {
    base = started.url;
    return started;
  });
}

describe('servers that answer slowly, hugely or wrongly', () => {
  after(() => Promise.all(servers.map((server) => server.stop())));

  test('a token service that trickles one byte every 2 s: check gives up at its deadline with the reason', async () => {
    const registry = await registryWithTokenService((_req, res) => trickle(res));
    const ws = workspace();
    const started = Date.now();
    const check = await ws.berth('check', `${new URL(registry.url).host}/demo/app:1`, '--json');
    const seconds = (Date.now() - started) / 1000;
    const result = JSON.parse(check.stdout) as { verdict: string; message: string };
    assert.equal(result.verdict, 'unreachable');
    assert.match(result.message, /no complete answer within 15 s/);
    assert.equal(check.code, 3);
    assert.ok(seconds < 45, `gave up after ${seconds} s`);
  });

  test('a 100 MB answer is cut off at 4 MB: the check fails with the reason and memory stays small', async () => {
    const registry = await registryWithTokenService((_req, res) => huge(res, 100));
    const api = createNodeApi(workspace().env);
    global.gc?.();
    const before = process.memoryUsage().rss;
    const result = await api.check(`${new URL(registry.url).host}/demo/app:1`);
    const grew = (process.memoryUsage().rss - before) / 1024 / 1024;
    assert.equal(result.verdict, 'unreachable');
    assert.match(result.message, /sent an answer larger than 4 MB; Berth stopped reading it/);
    assert.ok(grew < 60, `memory grew by ${grew.toFixed(0)} MB`);
  });

  test('Harbor answering with something other than JSON, a secret that is not a string, or a user name docker cannot carry: each is named at once', async () => {
    let answer: unknown = '<html>Proxy error</html>';
    const harbor = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(typeof answer === 'string' ? answer : JSON.stringify(answer));
    });
    const client = new HarborClient(harbor.url, httpClient(), 'work');
    await assert.rejects(client.systemInfo(), /Harbor at 127\.0\.0\.1:\d+ answered systeminfo with something other than JSON/);
    answer = { user_id: 3, username: 'alice', oidc_user_meta: { secret: 123456 } };
    const started = Date.now();
    await assert.rejects(client.currentUser(idTokenAuth('x')), /has no CLI secret for alice/);
    assert.ok(Date.now() - started < 5000);
    answer = { user_id: 3, username: 'alice:admin\u001b[31m', oidc_user_meta: { secret: 'Secret123' } };
    await assert.rejects(client.currentUser(idTokenAuth('x')), /sent a user name docker cannot log in with \("alice:admin\?\[31m"\)/);
  });

  test('Harbor’s API reads have a total deadline and a size cap: a systeminfo trickling a byte every 2 s gives up at 15 s, a 100 MB users/current stops at 4 MB', async () => {
    const slow = await hostile((_req, res) => trickle(res));
    const started = Date.now();
    await assert.rejects(new HarborClient(slow.url, httpClient(), 'work').systemInfo(), /Cannot reach 127\.0\.0\.1:\d+ \(no complete answer within 15 s\)/);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 45, `gave up after ${seconds} s`);

    const big = await hostile((_req, res) => huge(res, 100));
    global.gc?.();
    const before = process.memoryUsage().rss;
    await assert.rejects(new HarborClient(big.url, httpClient(), 'work').currentUser(idTokenAuth('x')), /127\.0\.0\.1:\d+ sent an answer larger than 4 MB; Berth stopped reading it/);
    const grew = (process.memoryUsage().rss - before) / 1024 / 1024;
    assert.ok(grew < 60, `memory grew by ${grew.toFixed(0)} MB`);
  });

  test('the identity provider’s reads have a total deadline and a size cap: berth login gives up on a trickling discovery at 15 s and on a 100 MB one at 4 MB', async () => {
    let answer: 'trickle' | 'huge' = 'trickle';
    const idp = await hostile((_req, res) => (answer === 'trickle' ? trickle(res) : huge(res, 100)));
    const harbor = await hostile((_req, res, url) => {
      if (url.pathname === '/api/v2.0/systeminfo') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ auth_mode: 'oidc_auth' }));
      res.writeHead(404).end();
    });
    const ws = workspace();
    assert.equal((await ws.berth('add', 'harbor', 'work', '--url', harbor.url, '--client-id', 'berth', '--issuer', idp.url)).code, 0);
    const started = Date.now();
    const slow = await ws.berth('login', 'work', '--browser-command', 'true', '--timeout', '120');
    const seconds = (Date.now() - started) / 1000;
    assert.equal(slow.code, 1);
    assert.match(slow.stderr, /Cannot reach 127\.0\.0\.1:\d+ \(no complete answer within 15 s\)/);
    assert.ok(seconds < 45, `gave up after ${seconds} s`);

    answer = 'huge';
    const big = await ws.berth('login', 'work', '--browser-command', 'true', '--timeout', '120');
    assert.equal(big.code, 1);
    assert.match(big.stderr, /127\.0\.0\.1:\d+ sent an answer larger than 4 MB; Berth stopped reading it/);
  });

  test('a user name with a new line is refused wherever it comes from (Harbor, docker login, a pasted one) and printed as one safe line', { skip: unless('docker', 'keyring') }, async () => {
    const harbor = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ user_id: 3, username: 'alice\n  admin  valid', oidc_user_meta: { secret: 'Secret123' } }));
    });
    await assert.rejects(new HarborClient(harbor.url, httpClient(), 'work').currentUser(idTokenAuth('x')), /sent a user name docker cannot log in with \("alice\? {2}admin {2}valid"\)/);

    const registry = await anyLoginRegistry();
    servers.push(registry);
    const host = new URL(registry.url).host;
    const ws = workspace();
    helperOnPath(ws);
    mkdirSync(ws.dockerConfig, { recursive: true });
    writeFileSync(join(ws.dockerConfig, 'config.json'), JSON.stringify({ credHelpers: { [host]: 'berth' } }));
    const login = await run('docker', ['login', host, '--username', 'robot\n  fake line', '--password-stdin'], ws.env, 'Token-1');
    assert.notEqual(login.code, 0, 'docker login did not succeed');
    assert.match(login.stdout + login.stderr, /The user name "robot\? {2}fake line" for 127\.0\.0\.1:\d+ contains ":" or a control character, so docker cannot log in with it; nothing was stored/);
    assert.deepEqual(JSON.parse((await ws.berth('list', '--json')).stdout), [], 'no token registry was kept');

    const oidcHarbor = await hostile((_req, res, url) => {
      if (url.pathname === '/api/v2.0/systeminfo') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ auth_mode: 'oidc_auth' }));
      res.writeHead(404).end();
    });
    writeFileSync(join(ws.berthHome, 'settings.json'), JSON.stringify({ registries: [{ name: 'web', kind: 'harbor', method: 'web', url: oidcHarbor.url, idleDays: 30 }] }));
    const pasted = await ws.berthWithInput('Secret123', 'login', 'web', '--username', 'bob\nroot', '--secret-stdin');
    assert.notEqual(pasted.code, 0);
    assert.match(pasted.stderr, /The Harbor username for web contains ":" or a control character/);
    assert.doesNotMatch(pasted.stdout + pasted.stderr, /bob\nroot/);

    // One kept before user names were checked is listed on its own line still.
    writeFileSync(join(ws.berthHome, 'status.json'), JSON.stringify({ registries: { web: { state: 'valid', username: 'bob\n  fake  valid' } } }));
    const status = await ws.berth('status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^web +127\.0\.0\.1:\d+ +bob\? {2}fake {2}valid +web login +config +valid +- \/ -$/m);
    assert.doesNotMatch(status.stdout, /^ *fake/m);
  });

  test('an identity provider whose discovery is not JSON is an answer Berth cannot accept, not "cannot reach"', async () => {
    const idp = await hostile((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"issuer": '));
    const harbor = await hostile((_req, res, url) => {
      if (url.pathname === '/api/v2.0/systeminfo') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ auth_mode: 'oidc_auth' }));
      if (url.pathname === '/c/oidc/login') return void res.writeHead(302, { location: `${idp.url}/auth?client_id=harbor&scope=openid%20offline_access` }).end();
      res.writeHead(404).end();
    });
    const ws = workspace();
    assert.equal((await ws.berth('add', 'harbor', 'work', '--url', harbor.url, '--client-id', 'berth', '--issuer', idp.url)).code, 0);
    const login = await ws.berth('login', 'work', '--browser-command', 'true', '--timeout', '5');
    assert.equal(login.code, 1);
    assert.match(login.stderr, /the identity provider at 127\.0\.0\.1:\d+ sent an answer Berth cannot accept/);
    assert.doesNotMatch(login.stderr, /Cannot reach/);
  });

  test('the credential helper reads a settings file of the wrong shape as a problem with that file, not a crash', async () => {
    const ws = workspace();
    mkdirSync(ws.berthHome, { recursive: true });
    writeFileSync(join(ws.berthHome, 'settings.json'), JSON.stringify({ registries: 5 }));
    const get = await run(process.execPath, [helperBin, 'get'], ws.env, 'harbor.example.org');
    assert.equal(get.code, 1);
    assert.match(get.stdout, new RegExp(`docker-credential-berth: ${join(ws.berthHome, 'settings.json').replace(/[.]/g, '\\.')}: registries must be a list of registries`));
    assert.doesNotMatch(get.stdout + get.stderr, /is not a function|TypeError/);
  });
});
