import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unless } from '../rig/components.js';
import { startHostile, type HostileServer } from '../rig/hostile.js';
import { startRig, type Rig } from '../rig/index.js';
import { addArgs, cliLogin, dockerConfigJson, run, storedSecret, workspace, type Workspace } from '../helpers/berth.js';

const rounds = Number(process.env.BERTH_CONCURRENCY_ROUNDS ?? 20);

/** A registry that takes any user name and password, so the real `docker login` can write its entry every round. */
function anyLogin(): Promise<HostileServer> {
  return startHostile((req, res) => {
    req.resume();
    if (req.headers.authorization?.startsWith('Basic ')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    res.writeHead(401, { 'www-authenticate': 'Basic realm="any"' }).end();
  });
}

function decoded(entry: unknown): string | undefined {
  const auth = (entry as { auth?: string } | undefined)?.auth;
  return auth === undefined ? undefined : Buffer.from(auth, 'base64').toString('utf8');
}

describe('Berth, Berth and the real docker login writing at once', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  let first: Rig;
  let second: Rig;
  let foreign: HostileServer;
  before(async () => {
    [first, second, foreign] = await Promise.all([startRig(), startRig(), anyLogin()]);
    await Promise.all([first.webLogin('alice'), second.webLogin('bob')]);
  });
  after(() => Promise.all([first?.stop(), second?.stop(), foreign?.stop()]));

  test(`${rounds} rounds of two berth targets and a docker login at once: no entry is lost, and refresh repairs what docker overwrote`, async () => {
    const ws: Workspace = workspace();
    for (const [rig, name, user] of [[first, 'one', 'alice'], [second, 'two', 'bob']] as const) {
      assert.equal((await ws.berth(...addArgs(rig, name))).code, 0);
      assert.equal((await cliLogin(ws, name, user, join(ws.home, `${name}-cookies.json`))).code, 0);
    }
    const hosts = { one: new URL(first.harbor.url).host, two: new URL(second.harbor.url).host };
    const foreignHost = new URL(foreign.url).host;
    const lost: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const targets = { one: round % 2 ? 'helper' : 'config', two: round % 2 ? 'config' : 'helper' } as const;
      const user = `user${round}`;
      const results = await Promise.all([
        ws.berth('target', 'one', targets.one),
        ws.berth('target', 'two', targets.two),
        run('docker', ['login', foreignHost, '-u', user, '--password-stdin'], ws.env, 'pass'),
      ]);
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      // What docker wrote must survive Berth's writes; what Berth wrote may be overwritten by docker, which takes no lock.
      const config = dockerConfigJson(ws);
      if (decoded((config.auths as Record<string, unknown>)[foreignHost]) !== `${user}:pass`) lost.push(`round ${round}: docker's own entry`);
      const settings = JSON.parse(readFileSync(join(ws.berthHome, 'settings.json'), 'utf8')) as { registries: { name: string; target: string }[] };
      for (const name of ['one', 'two'] as const) {
        if (settings.registries.find((registry) => registry.name === name)?.target !== targets[name]) lost.push(`round ${round}: the target of ${name} in settings.json`);
      }
      const refresh = await ws.berth('refresh');
      assert.equal(refresh.code, 0, refresh.stdout + refresh.stderr);
      const repaired = dockerConfigJson(ws);
      for (const name of ['one', 'two'] as const) {
        const entry = (repaired.auths as Record<string, unknown>)[hosts[name]];
        const helper = (repaired.credHelpers as Record<string, string> | undefined)?.[hosts[name]];
        const secret = await storedSecret(ws, name, 'cli-secret');
        const holds = targets[name] === 'helper' ? helper === 'berth' && decoded(entry) === undefined : helper === undefined && decoded(entry) === `${name === 'one' ? 'alice' : 'bob'}:${secret}`;
        if (!holds) lost.push(`round ${round}: ${name}'s ${targets[name]} entry after refresh`);
      }
      if (decoded((repaired.auths as Record<string, unknown>)[foreignHost]) !== `${user}:pass`) lost.push(`round ${round}: docker's entry after refresh`);
    }
    assert.deepEqual(lost, []);
  });
});
