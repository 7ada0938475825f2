import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNodeApi } from '../main/api/node.js';
import { HarborClient } from '../main/harbor/client.js';
import { httpClient } from '../main/net/http.js';
import { discover } from '../main/oidc/provider.js';
import { drive } from '../test/rig/browser-driver.js';
import { huge, startHostile, trickle, type HostileServer } from '../test/rig/hostile.js';
import { startRig } from '../test/rig/index.js';
import { signedIn, uniqueName, workspace, type Workspace } from '../test/helpers/berth.js';
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

/** How often each hostile-server case is tried. */
const triesEach = 3;
/** The hostile-server cases, each tried `triesEach` times. */
const hostileCases = 20;
export const hostileServerTries = hostileCases * triesEach;

/**
 * Huge, endless, slow and wrong-shape answers (from a registry, Harbor's API and the identity provider), cross-origin and
 * plain-http realms, a remembered hostile realm, and redirects that would carry credentials elsewhere: each bounded,
 * refused or said clearly, and nothing sent where it must not go. Every case is tried `triesEach` times; the slow ones at once.
 */
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
  const cases = new Set<string>();
  /** One try of a case: `work` returns what went wrong (a failure) and what went where it must not (lost). */
  const attempt = async (what: string, work: () => Promise<{ failures?: string[]; lost?: string[] }>) => {
    cases.add(what);
    into.tries += 1;
    try {
      const found = await work();
      for (const problem of found.failures ?? []) fail(into, `${what}: ${problem}`);
      for (const problem of found.lost ?? []) lose(into, `${what}: ${problem}`);
    } catch (error) {
      fail(into, `${what}: ${errorMessage(error)}`);
    }
  };
  const tries = (what: string, work: () => Promise<{ failures?: string[]; lost?: string[] }>) => Promise.all(Array.from({ length: triesEach }, () => attempt(what, work)));
  const inTurn = async (what: string, work: () => Promise<{ failures?: string[]; lost?: string[] }>) => {
    for (let i = 0; i < triesEach; i++) await attempt(what, work);
  };
  const bounded = (image: () => Promise<string>, verdict: string, message: RegExp, limitMs: number) => async () => {
    const started = Date.now();
    const result = await api.check(await image());
    const took = Date.now() - started;
    return { failures: [...(took > limitMs ? [`took ${took} ms`] : []), ...(result.verdict !== verdict || !message.test(result.message) ? [`${result.verdict}: ${result.message}`] : [])] };
  };
  /** Harbor's API and the identity provider are read through the other HTTP client: the same deadline and cap hold there. */
  const reading = (read: () => Promise<unknown>, message: RegExp) => async () => {
    const started = Date.now();
    const outcome = await read().then(() => 'an answer', (error: unknown) => errorMessage(error));
    return { failures: Date.now() - started > 45_000 || !message.test(outcome) ? [`${outcome} after ${Date.now() - started} ms`] : [] };
  };
  try {
    await rig.webLogin('alice');
    await inTurn('a 100 MB answer', async () => {
      const before = process.memoryUsage().rss;
      const found = await bounded(() => withTokenService((_req, res) => huge(res, 100)), 'unreachable', /larger than 4 MB/, 30_000)();
      return { ...found, lost: process.memoryUsage().rss - before > 100 * 1024 * 1024 ? ['memory grew by over 100 MB'] : [] };
    });
    // The slow cases wait out the 15 s deadline: all their tries at once, and the quick cases of servers of their own meanwhile.
    await Promise.all([
      tries('an endless answer', bounded(() => withTokenService((_req, res) => trickle(res, 1000)), 'unreachable', /no complete answer within 15 s/, 45_000)),
      tries('an answer after 20 s', bounded(() => withTokenService((_req, res) => void sleep(20_000).then(() => res.writeHead(200).end('{"token":"late"}'))), 'unreachable', /within 15 s/, 45_000)),
      tries('a trickling Harbor API', reading(async () => new HarborClient((await serve((_req, res) => trickle(res, 1000))).url, httpClient(), 'slow').systemInfo(), /no complete answer within 15 s/)),
      (async () => {
        await inTurn('a token that is a number', bounded(() => withTokenService((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"token": 5}')), 'unreachable', /sent no token/, 10_000));
        await inTurn('a token answer that is not JSON', bounded(() => withTokenService((_req, res) => res.writeHead(200).end('<html>')), 'unreachable', /other than JSON/, 10_000));
        await inTurn('a 100 MB discovery document', reading(async () => discover({ registry: 'huge', issuer: (await serve((_req, res) => huge(res, 100))).url, clientId: 'berth' }), /larger than 4 MB/));
        for (const [shape, body] of [['a list', '[]'], ['an issuer that is a number', '{"issuer": 5}']] as const) {
          await inTurn(`an identity provider whose discovery is ${shape}`, reading(async () => discover({ registry: 'shape', issuer: (await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body))).url, clientId: 'berth' }), /sent an answer Berth cannot accept/));
        }
      })(),
    ]);

    const { ws, name } = await signedIn(rig, 'alice');
    const host = new URL(rig.harbor.url).host;
    // Where nothing at all may go.
    const attacker = await serve((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"x"}');
    });
    const nothingSent = (): string[] => (attacker.requests.length > 0 ? [`the other server was sent ${attacker.requests.join(', ')}`] : []);
    // Where redirects followed without credentials may go: it must never see any.
    const credentialsSeen: string[] = [];
    const receiver = await serve((req, res) => {
      req.resume();
      if (req.headers.authorization) credentialsSeen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"x"}');
    });
    const verdictOf = async (image: string) => (JSON.parse((await ws.berth('check', image, '--json')).stdout) as { verdict: string; message: string });

    await inTurn('a Harbor realm on another origin', async () => {
      // Nothing remembered from the try before: /v2/ is asked, and answers with the other origin.
      rmSync(join(ws.berthHome, 'registry-challenges.json'), { force: true });
      rig.harbor.hostileRealm = `${attacker.url}/token`;
      const refused = await verdictOf(rig.imageRef);
      rig.harbor.hostileRealm = undefined;
      const honest = await verdictOf(rig.imageRef);
      return { failures: [...(refused.verdict !== 'unreachable' ? [`refused as ${refused.verdict}`] : []), ...(honest.verdict !== 'will-work' ? [`then honest: ${honest.verdict}: ${honest.message}`] : [])], lost: nothingSent() };
    });
    await inTurn('a hostile realm remembered from before, then the registry honest', async () => {
      // What an older Berth remembered from one hostile /v2/ answer: the next checks must neither use it nor send it the CLI secret.
      writeFileSync(join(ws.berthHome, 'registry-challenges.json'), JSON.stringify({ [host]: { scheme: 'bearer', realm: `${attacker.url}/token`, service: 'harbor-registry', until: Date.now() + 3_600_000 } }));
      const checks = [await verdictOf(rig.imageRef), await verdictOf(rig.imageRef)];
      return { failures: checks.filter((done) => done.verdict !== 'will-work').map((done) => `${done.verdict}: ${done.message}`), lost: nothingSent() };
    });
    await inTurn('a registry (not a Harbor) naming a plain-http realm on another host', async () => {
      const plain = await serve((req, res, url) => {
        req.resume();
        if (url.pathname === '/v2/') return void res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://tokens.berth-hostile.invalid/token",service="x"' }).end();
        res.writeHead(404).end();
      });
      const plainHost = new URL(plain.url).host;
      withDockerLogin(ws, plainHost);
      const result = await verdictOf(`${plainHost}/demo/app:1`);
      return { failures: result.verdict === 'unreachable' && /sends token requests over plain http to http:\/\/tokens\.berth-hostile\.invalid/.test(result.message) ? [] : [`${result.verdict}: ${result.message}`] };
    });
    await inTurn('a token service redirecting to another origin, for a registry with docker credentials', async () => {
      let base = '';
      const redirecting = await serve((req, res, url) => {
        req.resume();
        if (url.pathname === '/v2/') return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="x"` }).end();
        res.writeHead(307, { location: `${receiver.url}${url.pathname}${url.search}` }).end();
      });
      base = redirecting.url;
      withDockerLogin(ws, new URL(redirecting.url).host);
      await verdictOf(`${new URL(redirecting.url).host}/demo/app:1`);
      return { lost: credentialsSeen.length > 0 ? [`credentials reached the other server ${credentialsSeen.length} times`] : [] };
    });
    await inTurn('Harbor’s token service redirecting to another origin during keep-alive', async () => {
      rig.harbor.redirectTokenServiceTo = `${attacker.url}/service/token`;
      const refresh = await ws.berth('refresh', name, '--json');
      rig.harbor.redirectTokenServiceTo = undefined;
      const [view] = JSON.parse(refresh.stdout) as { state: string; lastError: string }[];
      const said = /answered with a redirect to http:\/\/127\.0\.0\.1:\d+\/service\/token, which Berth does not follow with credentials/.test(view?.lastError ?? '');
      return { failures: view?.state === 'valid' || !said ? [`${view?.state}: ${view?.lastError}`] : [], lost: nothingSent() };
    });
    await inTurn('a redirected cli_secret PUT', async () => {
      const before = rig.harbor.user('alice')?.secret;
      rig.harbor.redirectCliSecretTo = `${attacker.url}/steal`;
      const regenerate = await ws.berth('regenerate', name, '--yes');
      rig.harbor.redirectCliSecretTo = undefined;
      return { failures: [...(regenerate.code === 0 ? ['looked like success'] : []), ...(rig.harbor.user('alice')?.secret !== before ? ['Harbor changed the secret'] : [])], lost: nothingSent() };
    });
    for (const [shape, answer] of [['null', null], ['a list', []], ['a user id that is a string', { user_id: '3', username: 'alice', oidc_user_meta: { secret: 'x' } }]] as const) {
      await inTurn(`Harbor’s users/current answering ${shape}`, async () => {
        const before = rig.harbor.user('alice')?.secret;
        rig.harbor.currentUserAnswer = answer;
        const regenerate = await ws.berth('regenerate', name, '--yes');
        rig.harbor.currentUserAnswer = undefined;
        const said = /Harbor at .* sent a user without id or name/.test(regenerate.stderr) && !/TypeError|Cannot read properties/.test(regenerate.stderr);
        return { failures: [...(regenerate.code === 0 || !said ? [`regenerate: ${regenerate.stderr.trim().slice(0, 300)}`] : []), ...(rig.harbor.user('alice')?.secret !== before ? ['Harbor changed the secret'] : [])] };
      });
    }
    await inTurn('the identity provider answering a refresh with the wrong shape', async () => {
      rig.idp.tokenAnswers.set(rig.berthClientId, { access_token: 5, token_type: 'bearer' });
      const refresh = await ws.berth('refresh', name, '--json');
      rig.idp.tokenAnswers.delete(rig.berthClientId);
      const [view] = JSON.parse(refresh.stdout) as { state: string; lastError: string }[];
      const said = /the identity provider at .* sent an answer Berth cannot accept/.test(view?.lastError ?? '');
      return { failures: view?.state === 'valid' || !said ? [`${view?.state}: ${view?.lastError}`] : [] };
    });
    await inTurn('a redirecting registry that docker holds a password for', async () => {
      const redirecting = await serve((req, res, url) => {
        req.resume();
        if (url.pathname === '/v2/') return void res.writeHead(401, { 'www-authenticate': `Basic realm="r"` }).end();
        res.writeHead(307, { location: `${receiver.url}${url.pathname}` }).end();
      });
      withDockerLogin(ws, new URL(redirecting.url).host);
      await createNodeApi(ws.env).check(`${new URL(redirecting.url).host}/demo/app:1`);
      return { lost: credentialsSeen.length > 0 ? [`credentials reached the other server: ${credentialsSeen.length}`] : [] };
    });
    if (cases.size !== hostileCases) fail(into, `the row tried ${cases.size} cases, not the ${hostileCases} it counts`);
    // Wrong-shape answers and refusals must not end Berth's sessions: the registry still works afterwards.
    if ((await ws.berth('refresh', name)).code !== 0) fail(into, 'the registry did not work again after the hostile cases');
  } finally {
    await Promise.all([rig.stop(), ...servers.map((server) => server.stop())]);
  }
}

/** docker's config.json in the workspace with a password for `host`, as after `docker login host`. */
function withDockerLogin(ws: Workspace, host: string): void {
  const configPath = join(ws.dockerConfig, 'config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as { auths: Record<string, unknown> };
  config.auths[host] = { auth: Buffer.from('someone:hunter2').toString('base64') };
  writeFileSync(configPath, JSON.stringify(config));
}
