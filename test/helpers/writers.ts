import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHostile, type HostileServer } from '../rig/hostile.js';
import type { Rig } from '../rig/index.js';
import { addArgs, cliLogin, dockerConfigJson, run, storedSecret, type Workspace } from './berth.js';

/** A registry that takes any user name and password, so the real `docker login` can write its entry every round. */
export function anyLoginRegistry(): Promise<HostileServer> {
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

/** Two registries, `one` (alice at `first`) and `two` (bob at `second`), signed in in `ws`. */
export async function twoSignedIn(ws: Workspace, first: Rig, second: Rig): Promise<void> {
  for (const [rig, name, user] of [[first, 'one', 'alice'], [second, 'two', 'bob']] as const) {
    assert.equal((await ws.berth(...addArgs(rig, name))).code, 0);
    assert.equal((await cliLogin(ws, name, user, join(ws.home, `${name}-cookies.json`))).code, 0);
  }
}

/**
 * Rounds of two `berth target`s and the real `docker login` at once, each followed by `berth refresh`. What is lost: docker's
 * own entry or a target in settings.json at any round's end (Berth must never lose them), or Berth's entries after refresh
 * (docker, which takes no lock, may overwrite them; refresh must put them back).
 */
export async function concurrentWriterRounds(ws: Workspace, hosts: { one: string; two: string }, foreign: string, rounds: number): Promise<string[]> {
  const lost: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const targets = { one: round % 2 ? 'helper' : 'config', two: round % 2 ? 'config' : 'helper' } as const;
    const user = `user${round}`;
    const results = await Promise.all([
      ws.berth('target', 'one', targets.one),
      ws.berth('target', 'two', targets.two),
      run('docker', ['login', foreign, '-u', user, '--password-stdin'], ws.env, 'pass'),
    ]);
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const config = dockerConfigJson(ws);
    if (decoded((config.auths as Record<string, unknown>)[foreign]) !== `${user}:pass`) lost.push(`round ${round}: docker's own entry`);
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
    if (decoded((repaired.auths as Record<string, unknown>)[foreign]) !== `${user}:pass`) lost.push(`round ${round}: docker's entry after refresh`);
  }
  return lost;
}
