import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../main/errors.js';
import { openStores } from '../main/settings/node-stores.js';
import { startRig } from '../test/rig/index.js';
import { browserCommand, projectRoot, run } from '../test/helpers/berth.js';
import { berthChild, dockerSees, exited, foreignProblems, helperChild, lane, leftovers, signInA, signInB, type Lane } from './signed-in.js';
import { fail, lose, type Row } from './row.js';

interface Command {
  label: string;
  /** `berth` arguments, or the credential helper's with `helper`. */
  args: (on: Lane) => string[];
  helper?: boolean;
  input?: (on: Lane) => string;
  /** Puts the workspace where the command has something to write (not killed). */
  prepare?: (on: Lane) => Promise<void>;
  /** The kill comes within this long of the start; longer for commands that first wait on a browser or a pass. */
  maxDelayMs?: number;
}

const helperBin = join(projectRoot, 'bin', 'docker-credential-berth.js');
const tokenHost = 'tokens.example.org';
const tokenLogin = JSON.stringify({ ServerURL: tokenHost, Username: 'robot', Secret: 'Robot-Token-1' });

function hasRegistry(on: Lane, name: string): boolean {
  return openStores(on.ws.berthHome).settings.find(name) !== undefined;
}

const commands: Command[] = [
  { label: 'target a helper', args: () => ['target', 'a', 'helper'] },
  { label: 'target a config', args: () => ['target', 'a', 'config'] },
  { label: 'target b helper', args: () => ['target', 'b', 'helper'] },
  { label: 'target b config', args: () => ['target', 'b', 'config'] },
  { label: 'refresh', args: () => ['refresh'] },
  { label: 'regenerate a', args: () => ['regenerate', 'a', '--yes'] },
  {
    label: 'login a (OIDC, Berth’s own client)',
    args: (on) => ['login', 'a', '--browser-command', browserCommand('--login', 'alice', '--cookie-jar', join(on.ws.home, 'browser-cookies.json')), '--timeout', '60'],
    maxDelayMs: 1500,
  },
  { label: 'login b (pasted secret)', args: () => ['login', 'b', '--username', 'bob', '--secret-stdin'], input: (on) => on.web.harbor.user('bob')?.secret as string },
  { label: 'logout b', args: () => ['logout', 'b'] },
  { label: 'logout a', args: () => ['logout', 'a'] },
  { label: 'add c', args: (on) => ['add', 'harbor', 'c', '--url', on.web.harbor.url], prepare: async (on) => void (hasRegistry(on, 'c') && (await on.ws.berth('remove', 'c'))) },
  { label: 'remove c', args: () => ['remove', 'c'], prepare: async (on) => void (hasRegistry(on, 'c') || (await on.ws.berth('add', 'harbor', 'c', '--url', on.web.harbor.url))) },
  {
    label: 'keepalive (a and b due)',
    args: () => ['keepalive'],
    maxDelayMs: 1500,
    prepare: async (on) => {
      const { status } = openStores(on.ws.berthHome);
      for (const name of ['a', 'b']) status.put(name, { ...status.get(name), lastKeptAliveAt: undefined, nextKeepAliveAt: undefined });
    },
  },
  { label: 'check a (learns the challenge)', args: () => ['check', 'a'], prepare: async (on) => rmSync(join(on.ws.berthHome, 'registry-challenges.json'), { force: true }) },
  { label: 'helper store', args: () => ['store'], helper: true, input: () => tokenLogin },
  {
    label: 'helper erase',
    args: () => ['erase'],
    helper: true,
    input: () => tokenHost,
    prepare: async (on) => void (await run(process.execPath, [helperBin, 'store'], on.ws.env, tokenLogin)),
  },
];

/** Every JSON file in Berth's folder must read: Berth writes each atomically, so no kill can leave one half-written. */
function unreadableFiles(on: Lane): string[] {
  return readdirSync(on.ws.berthHome)
    .filter((name) => name.endsWith('.json'))
    .flatMap((name) => {
      try {
        JSON.parse(readFileSync(join(on.ws.berthHome, name), 'utf8'));
        return [];
      } catch (error) {
        return [`${name}: ${errorMessage(error)}`];
      }
    });
}

/** The repair every user has: sign in where a logout finished, drop what a killed add or store left, rewrite one target, refresh. */
async function repair(on: Lane, into: Row, label: string): Promise<void> {
  const { settings, status } = openStores(on.ws.berthHome);
  const needsYou = (state: string) => state === 'signed-out' || state === 'needs-sign-in';
  if (needsYou(status.get('a').state)) await signInA(on);
  if (needsYou(status.get('b').state)) await signInB(on);
  for (const extra of settings.registries().filter((registry) => registry.name !== 'a' && registry.name !== 'b')) {
    const removed = await on.ws.berth('remove', extra.name);
    if (removed.code !== 0) fail(into, `remove ${extra.name} after a kill of "${label}" ended with ${removed.code}: ${removed.stderr.trim().slice(0, 300)}`);
  }
  await on.ws.berth('target', 'a', settings.get('a').target ?? 'config');
  const refresh = await on.ws.berth('refresh');
  if (refresh.code !== 0) fail(into, `refresh after a kill of "${label}" ended with ${refresh.code}: ${(refresh.stderr + refresh.stdout).trim().slice(0, 400)}`);
}

/** One kill: a writing command killed at a random moment, then what must hold, then the repair, then what must hold again. */
async function killOnce(on: Lane, into: Row, maxDelayMs: number): Promise<void> {
  const command = commands[Math.floor(Math.random() * commands.length)] as Command;
  into.tries += 1;
  try {
    await command.prepare?.(on);
    const args = command.args(on);
    const child = command.helper ? helperChild(on.ws, args, command.input?.(on)) : berthChild(on.ws, args, command.input?.(on));
    await sleep(Math.random() * (command.maxDelayMs ?? maxDelayMs));
    child.kill('SIGKILL');
    await exited(child);
    for (const problem of foreignProblems(on.ws)) lose(into, `after a kill of "${command.label}": ${problem}`);
    for (const problem of unreadableFiles(on)) fail(into, `after a kill of "${command.label}", Berth's ${problem}`);
    try {
      const stores = openStores(on.ws.berthHome);
      stores.settings.registries();
      stores.status.all();
    } catch (error) {
      fail(into, `after a kill of "${command.label}", Berth's own files do not read: ${String(error)}`);
    }
    await repair(on, into, command.label);
    for (const [name, rig, user] of [['a', on.oidc, 'alice'], ['b', on.web, 'bob']] as const) {
      const host = new URL(rig.harbor.url).host;
      if ((await dockerSees(on.ws, host)) !== `${user}:${rig.harbor.user(user)?.secret}`) lose(into, `after a kill of "${command.label}" and a refresh, docker does not hold ${name}'s secret`);
    }
    const left = leftovers(on.ws);
    if (left.length > 0) fail(into, `temp files left after the next write: ${left.join(', ')}`);
    if (existsSync(join(on.ws.dockerConfig, '.config.json.berth.lock'))) fail(into, `after a kill of "${command.label}" and the repair, config.json's lock is still there`);
  } catch (error) {
    fail(into, `a kill of "${command.label}": ${errorMessage(error)}`);
  }
}

/** SIGKILL at random moments of every writing command, in two lanes at once (own Harbors, own workspace each). */
export async function kills(into: Row, total: number): Promise<void> {
  const rigs = await Promise.all([0, 1].map(() => Promise.all([startRig(), startRig({ berthClient: false })])));
  try {
    const lanes = await Promise.all(
      rigs.map(async ([oidc, web]) => {
        await Promise.all([oidc.webLogin('alice'), web.webLogin('bob')]);
        return lane(oidc, web);
      }),
    );
    await Promise.all(
      lanes.map(async (on, index) => {
        const share = Math.floor(total / lanes.length) + (index < total % lanes.length ? 1 : 0);
        for (let i = 0; i < share; i++) await killOnce(on, into, 600);
      }),
    );
  } finally {
    await Promise.all(rigs.flat().map((rig) => rig.stop()));
  }
}
