import { setTimeout as sleep } from 'node:timers/promises';
import { openStores } from '../main/settings/node-stores.js';
import { startRig } from '../test/rig/index.js';
import { berthChild, dockerSees, exited, foreignProblems, lane, leftovers, signInA, signInB, type Lane } from './signed-in.js';
import { errorMessage } from '../main/errors.js';
import { fail, lose, type Row } from './row.js';

interface Command {
  label: string;
  args: string[];
  input?: (on: Lane) => string;
}

const commands: Command[] = [
  { label: 'target a helper', args: ['target', 'a', 'helper'] },
  { label: 'target a config', args: ['target', 'a', 'config'] },
  { label: 'target b helper', args: ['target', 'b', 'helper'] },
  { label: 'target b config', args: ['target', 'b', 'config'] },
  { label: 'refresh', args: ['refresh'] },
  { label: 'regenerate a', args: ['regenerate', 'a', '--yes'] },
  { label: 'login b (pasted secret)', args: ['login', 'b', '--username', 'bob', '--secret-stdin'], input: (on) => on.web.harbor.user('bob')?.secret as string },
  { label: 'logout b', args: ['logout', 'b'] },
  { label: 'logout a', args: ['logout', 'a'] },
];

/** One kill: a writing command killed at a random moment, then what must hold, then the repair every user has (sign in, refresh). */
async function killOnce(on: Lane, into: Row, maxDelayMs: number): Promise<void> {
  const command = commands[Math.floor(Math.random() * commands.length)] as Command;
  into.tries += 1;
  try {
    await killAndRepair(on, into, command, maxDelayMs);
  } catch (error) {
    fail(into, `a kill of "${command.label}": ${errorMessage(error)}`);
  }
}

async function killAndRepair(on: Lane, into: Row, command: Command, maxDelayMs: number): Promise<void> {
  const child = berthChild(on.ws, command.args, command.input?.(on));
  await sleep(Math.random() * maxDelayMs);
  child.kill('SIGKILL');
  await exited(child);
  for (const problem of foreignProblems(on.ws)) lose(into, `after a kill of "${command.label}": ${problem}`);
  try {
    const stores = openStores(on.ws.berthHome);
    stores.settings.registries();
    stores.status.all();
  } catch (error) {
    fail(into, `after a kill of "${command.label}", Berth's own files do not read: ${String(error)}`);
  }
  // The repair: sign in where a logout finished, rewrite one target (a write), and one refresh.
  const status = openStores(on.ws.berthHome).status;
  const needsYou = (state: string) => state === 'signed-out' || state === 'needs-sign-in';
  if (needsYou(status.get('a').state)) await signInA(on);
  if (needsYou(status.get('b').state)) await signInB(on);
  const target = openStores(on.ws.berthHome).settings.get('a').target ?? 'config';
  await on.ws.berth('target', 'a', target);
  const refresh = await on.ws.berth('refresh');
  if (refresh.code !== 0) fail(into, `refresh after a kill of "${command.label}" ended with ${refresh.code}: ${(refresh.stderr + refresh.stdout).trim().slice(0, 400)}`);
  for (const [name, rig, user] of [['a', on.oidc, 'alice'], ['b', on.web, 'bob']] as const) {
    const host = new URL(rig.harbor.url).host;
    if ((await dockerSees(on.ws, host)) !== `${user}:${rig.harbor.user(user)?.secret}`) lose(into, `after a kill of "${command.label}" and a refresh, docker does not hold ${name}'s secret`);
  }
  const left = leftovers(on.ws);
  if (left.length > 0) fail(into, `temp files left after the next write: ${left.join(', ')}`);
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
