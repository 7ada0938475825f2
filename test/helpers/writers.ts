import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStores } from '../../main/settings/node-stores.js';
import { startHostile, type HostileServer } from '../rig/hostile.js';
import type { Rig } from '../rig/index.js';
import { secretsFile } from '../../main/settings/paths.js';
import { addArgs, cliLogin, dockerConfigJson, projectRoot, storedSecret, storedStatus, withHarbors, workspace, type Run, type Workspace } from './berth.js';

/** A registry that takes any user name and password, so the real `docker login` can write its entry every round. */
export function anyLoginRegistry(): Promise<HostileServer> {
  return startHostile((req, res) => {
    req.resume();
    if (req.headers.authorization?.startsWith('Basic ')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    res.writeHead(401, { 'www-authenticate': 'Basic realm="any"' }).end();
  });
}

/** What rounds of concurrent writers did wrong: a command that failed (`failures`), and what was lost or left stale (`lost`). */
export interface WriterOutcome {
  failures: string[];
  lost: string[];
  /** Rounds in which docker login had read config.json before Berth's write began and wrote it after: the two really overlapped. */
  overlapped: number;
}

function outcome(): WriterOutcome {
  return { failures: [], lost: [], overlapped: 0 };
}

/** Counts a command that did not succeed as a failure of the round; true when it succeeded. */
function succeeded(into: WriterOutcome, round: number, what: string, result: Run): boolean {
  if (result.code === 0) return true;
  into.failures.push(`round ${round}: ${what} ended with ${result.code}: ${(result.stderr || result.stdout).trim().slice(0, 300)}`);
  return false;
}

function decoded(entry: unknown): string | undefined {
  const auth = (entry as { auth?: string } | undefined)?.auth;
  return auth === undefined ? undefined : Buffer.from(auth, 'base64').toString('utf8');
}

/**
 * The real `docker login`, started now: it reads config.json at once, then waits for its password, then writes config.json
 * from what it read (it takes no lock). Giving it the password the moment Berth takes config.json's lock aims docker's
 * read-modify-write across Berth's own write.
 */
function aimedDockerLogin(ws: Workspace, foreign: string, user: string) {
  const startedAt = Date.now();
  const child = spawn('docker', ['login', foreign, '-u', user, '--password-stdin'], { env: ws.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const result = new Promise<Run>((resolve) => child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr })));
  let releasedAt: number | undefined;
  const lock = join(ws.dockerConfig, '.config.json.berth.lock');
  let lockAt: number | undefined;
  const watcher = watch(ws.dockerConfig, (_event, name) => {
    // Its first event is its creation: Berth is about to read config.json and write it.
    if (name !== basename(lock) || lockAt !== undefined) return;
    lockAt = Date.now();
    void sleep(Math.random() * 5).then(release);
  });
  function release(): void {
    if (releasedAt !== undefined) return;
    releasedAt = Date.now();
    child.stdin.end('pass');
  }
  return {
    /** Gives docker its password now if Berth never took the lock. */
    release,
    async done(): Promise<{ run: Run; overlapped: boolean }> {
      release();
      const ran = await result;
      watcher.close();
      return { run: ran, overlapped: lockAt !== undefined && lockAt >= startedAt && releasedAt !== undefined && releasedAt >= lockAt };
    },
  };
}

/** Two registries, `one` (alice at `first`) and `two` (bob at `second`), signed in in `ws`; throws when that cannot be done. */
export async function twoSignedIn(ws: Workspace, first: Rig, second: Rig): Promise<void> {
  for (const [rig, name, user] of [[first, 'one', 'alice'], [second, 'two', 'bob']] as const) {
    const added = await ws.berth(...addArgs(rig, name));
    if (added.code !== 0) throw new Error(`cannot add ${name}: ${added.stderr}`);
    const login = await cliLogin(ws, name, user, join(ws.home, `${name}-cookies.json`));
    if (login.code !== 0) throw new Error(`cannot sign in ${name}: ${login.stderr}`);
  }
}

/**
 * Rounds of two `berth target`s and the real `docker login` at once, each followed by `berth refresh`. What is lost: docker's
 * own entry or a target in settings.json at any round's end (Berth must never lose them), or Berth's entries after refresh
 * (docker, which takes no lock, may overwrite them; refresh must put them back).
 */
export async function concurrentWriterRounds(ws: Workspace, hosts: { one: string; two: string }, foreign: string, rounds: number): Promise<WriterOutcome> {
  const into = outcome();
  for (let round = 0; round < rounds; round++) {
    const targets = { one: round % 2 ? 'helper' : 'config', two: round % 2 ? 'config' : 'helper' } as const;
    const user = `user${round}`;
    const docker = aimedDockerLogin(ws, foreign, user);
    const [one, two] = await Promise.all([ws.berth('target', 'one', targets.one), ws.berth('target', 'two', targets.two)]);
    const { run: login, overlapped } = await docker.done();
    if (overlapped) into.overlapped += 1;
    const written = [succeeded(into, round, 'berth target one', one), succeeded(into, round, 'berth target two', two), succeeded(into, round, 'docker login', login)];
    const config = dockerConfigJson(ws);
    if (written[2] && decoded((config.auths as Record<string, unknown>)[foreign]) !== `${user}:pass`) into.lost.push(`round ${round}: docker's own entry`);
    const settings = JSON.parse(readFileSync(join(ws.berthHome, 'settings.json'), 'utf8')) as { registries: { name: string; target: string }[] };
    for (const [i, name] of (['one', 'two'] as const).entries()) {
      if (written[i] && settings.registries.find((registry) => registry.name === name)?.target !== targets[name]) into.lost.push(`round ${round}: the target of ${name} in settings.json`);
    }
    if (!succeeded(into, round, 'berth refresh', await ws.berth('refresh'))) continue;
    const repaired = dockerConfigJson(ws);
    for (const name of ['one', 'two'] as const) {
      const entry = (repaired.auths as Record<string, unknown>)[hosts[name]];
      const helper = (repaired.credHelpers as Record<string, string> | undefined)?.[hosts[name]];
      const secret = await storedSecret(ws, name, 'cli-secret');
      const target = settings.registries.find((registry) => registry.name === name)?.target;
      const holds = target === 'helper' ? helper === 'berth' && decoded(entry) === undefined : helper === undefined && decoded(entry) === `${name === 'one' ? 'alice' : 'bob'}:${secret}`;
      if (!holds) into.lost.push(`round ${round}: ${name}'s ${target} entry after refresh`);
    }
    if (written[2] && decoded((repaired.auths as Record<string, unknown>)[foreign]) !== `${user}:pass`) into.lost.push(`round ${round}: docker's entry after refresh`);
  }
  return into;
}

/**
 * Rounds of `berth regenerate one` with the real `docker login` run as Berth writes the new secret, each followed by `berth refresh one`. Lost: docker's own
 * entry, or (after the refresh) a docker entry or keychain copy of `one` that is not the secret Harbor now has.
 */
export async function regenerateRounds(ws: Workspace, rig: Rig, host: string, foreign: string, rounds: number): Promise<WriterOutcome> {
  const into = outcome();
  if (!succeeded(into, -1, 'berth target one config', await ws.berth('target', 'one', 'config'))) return into;
  for (let round = 0; round < rounds; round++) {
    const user = `regen${round}`;
    // docker login reads config.json now and writes it when Berth, having had Harbor take the new secret, takes config.json's lock.
    const docker = aimedDockerLogin(ws, foreign, user);
    const regenerate = await ws.berth('regenerate', 'one', '--yes');
    succeeded(into, round, 'berth regenerate one', regenerate);
    const { run: login, overlapped } = await docker.done();
    if (overlapped) into.overlapped += 1;
    const logged = succeeded(into, round, 'docker login', login);
    if (logged && decoded((dockerConfigJson(ws).auths as Record<string, unknown>)[foreign]) !== `${user}:pass`) into.lost.push(`round ${round}: docker's own entry, racing regenerate`);
    if (!succeeded(into, round, 'berth refresh one', await ws.berth('refresh', 'one'))) continue;
    const harborHas = rig.harbor.user('alice')?.secret;
    const auths = dockerConfigJson(ws).auths as Record<string, unknown>;
    if (decoded(auths[host]) !== `alice:${harborHas}`) into.lost.push(`round ${round}: docker holds a stale secret for one after refresh`);
    if ((await storedSecret(ws, 'one', 'cli-secret')) !== harborHas) into.lost.push(`round ${round}: the keychain holds a stale secret for one after refresh`);
    if (logged && decoded(auths[foreign]) !== `${user}:pass`) into.lost.push(`round ${round}: docker's own entry after refresh`);
  }
  return into;
}

/** Rounds of `berth refresh one` and `berth refresh two` at once: each writes its record into status.json, and neither may undo the other's. */
export async function statusWriterRounds(ws: Workspace, rounds: number): Promise<WriterOutcome> {
  const into = outcome();
  for (let round = 0; round < rounds; round++) {
    const started = Date.now();
    const results = await Promise.all([ws.berth('refresh', 'one'), ws.berth('refresh', 'two')]);
    for (const [i, name] of (['one', 'two'] as const).entries()) {
      if (!succeeded(into, round, `berth refresh ${name}`, results[i] as Run)) continue;
      const keptAlive = Date.parse(String(storedStatus(ws, name).lastKeptAliveAt));
      if (!(keptAlive >= started)) into.lost.push(`round ${round}: ${name}'s keep-alive in status.json was undone by the other writer`);
    }
  }
  return into;
}

const statusLoop = join(projectRoot, 'dist', 'test', 'helpers', 'status-loop.js');

/** Two processes putting their own record into one status.json `writes` times each, as fast as they can. */
export async function statusLoops(writes: number): Promise<WriterOutcome> {
  const into = outcome();
  const home = mkdtempSync(join(tmpdir(), 'berth-status-'));
  const loop = (name: string) =>
    new Promise<{ name: string; code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [statusLoop, home, name, String(writes)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.once('exit', (code) => resolve({ name, code, stdout }));
    });
  for (const done of await Promise.all([loop('a'), loop('b')])) {
    if (done.code !== 0) into.failures.push(`status writer ${done.name} ended with ${done.code}`);
    const undone = Number(done.stdout.trim());
    if (undone > 0) into.lost.push(`status writer ${done.name}: ${undone} of its ${writes} updates were undone by the other`);
  }
  const records = openStores(home).status.all();
  for (const name of ['a', 'b']) {
    if (records[name]?.lastKeptAliveAt !== new Date(writes * 1000).toISOString()) into.lost.push(`status writer ${name}: its last update is not in status.json`);
  }
  return into;
}

const recordLoop = join(projectRoot, 'dist', 'test', 'helpers', 'record-loop.js');

function loopOf(ws: Workspace, what: 'planned' | 'target', changes: number): Promise<{ code: number | null; undone: number; last: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [recordLoop, 'work', what, String(changes)], { env: ws.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('exit', (code) => {
      const [undone = '', last = ''] = stdout.trim().split(' ');
      resolve({ code, undone: Number(undone), last, stderr });
    });
  });
}

/**
 * Two processes changing the same registry's record at once, through Berth's own code: the scheduler planning the next
 * pass (status.json) while `berth target` moves the credential `changes` times (settings.json, status.json, config.json).
 * Lost: a change the other process undid, or a last change missing from the files.
 */
export async function sameRecordLoops(changes: number): Promise<WriterOutcome> {
  const into = outcome();
  const ws = workspace();
  ws.env.BERTH_SECRET_STORE = 'file';
  withHarbors(ws, 'work');
  const { status } = openStores(ws.berthHome);
  // Kept alive long ago: every sync plans its pass for the loop's "now".
  status.put('work', { state: 'valid', username: 'alice', signedInAt: '2029-01-01T00:00:00.000Z', lastKeptAliveAt: '2029-01-01T00:00:00.000Z', writtenTo: 'config' });
  mkdirSync(join(ws.berthHome, 'secrets'), { recursive: true, mode: 0o700 });
  writeFileSync(secretsFile(ws.berthHome), JSON.stringify({ 'work/cli-secret': 'Work1Secret' }), { mode: 0o600 });
  // The scheduler plans for as long as berth target keeps moving the credential.
  const [planned, target] = await Promise.all([loopOf(ws, 'planned', 0), loopOf(ws, 'target', changes)]);
  for (const [what, done] of [['the scheduler', planned], ['berth target', target]] as const) {
    if (done.code !== 0) into.failures.push(`${what} ended with ${done.code}: ${done.stderr.trim().slice(0, 300)}`);
    if (done.undone > 0) into.lost.push(`${what} found its change to the record undone ${done.undone} times`);
  }
  const stores = openStores(ws.berthHome);
  const record = stores.status.get('work');
  if (record.nextKeepAliveAt !== planned.last) into.lost.push(`the scheduler's last planned pass (${planned.last}) is not in status.json (${record.nextKeepAliveAt})`);
  if (record.writtenTo !== (target.last === 'helper' ? 'helper:berth' : 'config') || stores.settings.get('work').target !== target.last) into.lost.push(`berth target's last change (${target.last}) is not in the files`);
  return into;
}
