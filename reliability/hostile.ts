import { setTimeout as sleep } from 'node:timers/promises';
import { createNodeApi } from '../main/api/node.js';
import { HarborClient } from '../main/harbor/client.js';
import { httpClient } from '../main/net/http.js';
import { discover } from '../main/oidc/provider.js';
import { drive } from '../test/rig/browser-driver.js';
import { huge, startHostile, trickle, type HostileServer } from '../test/rig/hostile.js';
import { startRig } from '../test/rig/index.js';
import { signedIn, uniqueName, workspace } from '../test/helpers/berth.js';
import { hostileCallbacks as attack } from '../test/helpers/hostile-callbacks.js';
import { errorMessage } from '../main/errors.js';
import { fail, lose, type Row } from './row.js';

/** Sign-ins during which forged, stale, state-less and wrong-host callbacks hit the loopback listener first. */
export async function hostileCallbacks(into: Row, signIns: number): Promise<void> {
  const rig = await startRig();
  try {
    await rig.webLogin('alice');
    const ws = workspace();
    const api = createNodeApi(ws.env);
    const name = uniqueName('cb');
    await api.addRegistry({ name, url: rig.harbor.url, clientId: rig.berthClientId });
    let staleState = 'never-used';
    for (let i = 0; i < signIns; i++) {
      into.tries += 1;
      let answers: number[] = [];
      try {
        const view = await api.signIn(name, {
          timeoutMs: 60_000,
          openBrowser: async (url) => {
            answers = await attack(url, staleState);
            staleState = new URL(url).searchParams.get('state') as string;
            void drive(url, { login: 'alice' });
          },
        });
        if (view.state !== 'valid') fail(into, `sign-in ${i} ended ${view.state}: ${view.lastError ?? ''}`);
        if (view.lastError !== null) lose(into, `a hostile callback left an error on the registry: ${view.lastError}`);
      } catch (error) {
        fail(into, `sign-in ${i} failed: ${errorMessage(error)}`);
      }
      if (answers.some((code) => code !== 400 && code !== 404)) lose(into, `a hostile callback was not refused: ${answers.join(', ')}`);
    }
  } finally {
    await rig.stop();
  }
}

/** Huge, endless, slow and wrong-shape answers, cross-origin realms and redirects: bounded, refused, and nothing sent where it must not go. */
export async function hostileServers(into: Row): Promise<void> {
  const servers: HostileServer[] = [];
  const rig = await startRig();
  const serve = async (...args: Parameters<typeof startHostile>) => {
    const server = await startHostile(...args);
    servers.push(server);
    return server;
  };
  const withTokenService = async (answer: Parameters<typeof startHostile>[0]) => {
    let base = '';
    const server = await serve((req, res, url) => {
      if (url.pathname === '/v2/') return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="x"` }).end();
      if (url.pathname === '/token') return answer(req, res, url);
      res.writeHead(404).end();
    });
    base = server.url;
    return `${new URL(server.url).host}/demo/app:1`;
  };
  const api = createNodeApi(workspace().env);
  const bounded = async (what: string, image: string, verdict: string, message: RegExp, limitMs: number) => {
    into.tries += 1;
    const started = Date.now();
    const result = await api.check(image);
    const took = Date.now() - started;
    if (took > limitMs) fail(into, `${what}: took ${took} ms`);
    if (result.verdict !== verdict || !message.test(result.message)) fail(into, `${what}: ${result.verdict}: ${result.message}`);
  };
  try {
    await rig.webLogin('alice');
    const before = process.memoryUsage().rss;
    await bounded('a 100 MB answer', await withTokenService((_req, res) => huge(res, 100)), 'unreachable', /larger than 4 MB/, 30_000);
    if (process.memoryUsage().rss - before > 100 * 1024 * 1024) lose(into, 'a 100 MB answer grew memory by over 100 MB');
    await bounded('an endless answer', await withTokenService((_req, res) => trickle(res, 1000)), 'unreachable', /no complete answer within 15 s/, 45_000);
    await bounded('an answer after 20 s', await withTokenService((_req, res) => void sleep(20_000).then(() => res.writeHead(200).end('{"token":"late"}'))), 'unreachable', /within 15 s/, 45_000);
    await bounded('a token that is a number', await withTokenService((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"token": 5}')), 'unreachable', /sent no token/, 10_000);
    await bounded('a token answer that is not JSON', await withTokenService((_req, res) => res.writeHead(200).end('<html>')), 'unreachable', /other than JSON/, 10_000);
    // Harbor's API and the identity provider are read through the other HTTP client: the same deadline and cap hold there.
    const reading = async (what: string, read: () => Promise<unknown>, message: RegExp) => {
      into.tries += 1;
      const started = Date.now();
      const outcome = await read().then(() => 'an answer', (error: unknown) => errorMessage(error));
      if (Date.now() - started > 45_000 || !message.test(outcome)) fail(into, `${what}: ${outcome} after ${Date.now() - started} ms`);
    };
    const slowHarbor = await serve((_req, res) => trickle(res, 1000));
    await reading('a trickling Harbor API', () => new HarborClient(slowHarbor.url, httpClient(), 'slow').systemInfo(), /no complete answer within 15 s/);
    const hugeIdp = await serve((_req, res) => huge(res, 100));
    await reading('a 100 MB discovery document', () => discover({ registry: 'huge', issuer: hugeIdp.url, clientId: 'berth' }), /larger than 4 MB/);

    const { ws, name } = await signedIn(rig, 'alice');
    const credentialsSeen: string[] = [];
    const attacker = await serve((req, res) => {
      req.resume();
      if (req.headers.authorization) credentialsSeen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"x"}');
    });
    into.tries += 1;
    rig.harbor.hostileRealm = `${attacker.url}/token`;
    const realm = await ws.berth('check', rig.imageRef, '--json');
    rig.harbor.hostileRealm = undefined;
    if ((JSON.parse(realm.stdout) as { verdict: string }).verdict !== 'unreachable') fail(into, `a Harbor realm on another origin: ${realm.stdout}`);
    into.tries += 1;
    rig.harbor.redirectCliSecretTo = `${attacker.url}/steal`;
    const regenerate = await ws.berth('regenerate', name, '--yes');
    rig.harbor.redirectCliSecretTo = undefined;
    if (regenerate.code === 0) fail(into, 'a redirected cli_secret PUT looked like success');
    if (attacker.requests.length > 0) lose(into, `the other server was sent: ${attacker.requests.join(', ')}`);
    into.tries += 1;
    const redirecting = await serve((req, res, url) => {
      req.resume();
      if (url.pathname === '/v2/') return void res.writeHead(401, { 'www-authenticate': `Basic realm="r"` }).end();
      res.writeHead(307, { location: `${attacker.url}${url.pathname}` }).end();
    });
    // docker holds a password for the redirecting registry; following its redirect must not carry it along.
    const { readFileSync, writeFileSync } = await import('node:fs');
    const configPath = `${ws.dockerConfig}/config.json`;
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as { auths: Record<string, unknown> };
    config.auths[new URL(redirecting.url).host] = { auth: Buffer.from('someone:hunter2').toString('base64') };
    writeFileSync(configPath, JSON.stringify(config));
    await createNodeApi(ws.env).check(`${new URL(redirecting.url).host}/demo/app:1`);
    if (credentialsSeen.length > 0) lose(into, `credentials reached the other server: ${credentialsSeen.length}`);
  } finally {
    await Promise.all([rig.stop(), ...servers.map((server) => server.stop())]);
  }
}
