import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errorMessage } from '../main/errors.js';
import { openStores } from '../main/settings/node-stores.js';
import { startRig } from '../test/rig/index.js';
import { browserCommand, projectRoot, run } from '../test/helpers/berth.js';
import {
  berthChild,
  chosenStore,
  dockerSees,
  exited,
  firstWrite,
  foreignProblems,
  helperChild,
  lane,
  laneSecret,
  leftoverFiles,
  signInA,
  signInB,
  strayedSecrets,
  type Lane,
} from './signed-in.js';
import { fail, lose, type Row } from './row.js';

interface Command {
  label: string;
  /** `berth` arguments, or the credential helper's with `helper`. */
  args: (on: Lane) => string[];
  helper?: boolean;
  input?: (on: Lane) => string;
  /** Puts the workspace where the command has something to write (not killed). */
  prepare?: (on: Lane) => Promise<void>;
  /** How long it writes after its first write, until a run shows otherwise: a command that never ends by itself keeps this. */
  spanMs?: number;
}

const helperBin = join(projectRoot, 'bin', 'docker-credential-berth.js');
const tokenHost = 'tokens.example.org';
const tokenLogin = JSON.stringify({ ServerURL: tokenHost, Username: 'robot', Secret: 'Robot-Token-1' });

// Registry c is the web rig's Harbor on an address of its own: Berth keeps one registry per host, and b has the first one.
const cUrls = new Map<Lane, string>();
const cUrl = (on: Lane) => cUrls.get(on) as string;

function hasRegistry(on: Lane, name: string): boolean {
  return openStores(on.ws.berthHome).settings.find(name) !== undefined;
}

/** `berth config secret-store <to>` with the secrets in the other store first, so the command has every secret to move. */
function moveTo(to: 'keychain' | 'file'): Command {
  return {
    label: `config secret-store ${to} (moves every secret)`,
    args: () => ['config', 'secret-store', to],
    prepare: async (on) => {
      if (chosenStore(on.ws) === to) await on.ws.berth('config', 'secret-store', to === 'file' ? 'keychain' : 'file');
    },
  };
}

const commands: Command[] = [
  { label: 'target a helper', args: () => ['target', 'a', 'helper'] },
  { label: 'target a config', args: () => ['target', 'a', 'config'] },
  { label: 'target b helper', args: () => ['target', 'b', 'helper'] },
  { label: 'target b config', args: () => ['target', 'b', 'config'] },
  { label: 'refresh', args: () => ['refresh'] },
  { label: 'regenerate a', args: () => ['regenerate', 'a', '--yes'] },
  { label: 'login a (OIDC, Berth’s own client)', args: (on) => ['login', 'a', '--browser-command', browserCommand('--login', 'alice', '--cookie-jar', join(on.ws.home, 'browser-cookies.json')), '--timeout', '60'] },
  { label: 'login b (pasted secret)', args: () => ['login', 'b', '--username', 'bob', '--secret-stdin'], input: (on) => on.web.harbor.user('bob')?.secret as string },
  { label: 'logout b', args: () => ['logout', 'b'] },
  { label: 'logout a', args: () => ['logout', 'a'] },
  { label: 'add c', args: (on) => ['add', 'harbor', 'c', '--url', cUrl(on)], prepare: async (on) => void (hasRegistry(on, 'c') && (await on.ws.berth('remove', 'c'))) },
  { label: 'remove c', args: () => ['remove', 'c'], prepare: async (on) => void (hasRegistry(on, 'c') || (await on.ws.berth('add', 'harbor', 'c', '--url', cUrl(on)))) },
  {
    label: 'keepalive (a and b due)',
    args: () => ['keepalive'],
    // Its passes write for a second or two after its first write; it never ends by itself.
    spanMs: 2500,
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
  moveTo('file'),
  moveTo('keychain'),
];

/** Every command as often as every other (the remainder drawn at random), in random order: each gets its share of the kills. */
function deck(total: number): Command[] {
  const cards = Array.from({ length: Math.floor(total / commands.length) }, () => commands).flat();
  while (cards.length < total) cards.push(commands[Math.floor(Math.random() * commands.length)] as Command);
  for (let i = cards.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [cards[i], cards[j]] = [cards[j] as Command, cards[i] as Command];
  }
  return cards;
}

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

/** The repair every user has: sign in where a logout finished, drop what a killed add or store left, run a killed store change again, write docker's config where a writer died beside it, refresh. */
async function repair(on: Lane, into: Row, label: string): Promise<void> {
  const { settings, status } = openStores(on.ws.berthHome);
  const needsYou = (state: string) => state === 'signed-out' || state === 'needs-sign-in';
  if (needsYou(status.get('a').state)) await signInA(on);
  if (needsYou(status.get('b').state)) await signInB(on);
  for (const extra of settings.registries().filter((registry) => registry.name !== 'a' && registry.name !== 'b')) {
    const removed = await on.ws.berth('remove', extra.name);
    if (removed.code !== 0) fail(into, `remove ${extra.name} after a kill of "${label}" ended with ${removed.code}: ${removed.stderr.trim().slice(0, 300)}`);
  }
  // What a killed `berth config secret-store` left in the other store goes when the person runs it again.
  if (label.startsWith('config secret-store')) {
    const store = await on.ws.berth('config', 'secret-store', chosenStore(on.ws));
    if (store.code !== 0) fail(into, `config secret-store after a kill of "${label}" ended with ${store.code}: ${store.stderr.trim().slice(0, 300)}`);
  }
  // The next write of docker's config.json clears what the killed writer left beside it.
  if (leftoverFiles(on.ws).some((file) => dirname(file) === on.ws.dockerConfig)) await on.ws.berth('target', 'a', settings.get('a').target ?? 'config');
  const refresh = await on.ws.berth('refresh');
  if (refresh.code !== 0) fail(into, `refresh after a kill of "${label}" ended with ${refresh.code}: ${(refresh.stderr + refresh.stdout).trim().slice(0, 400)}`);
}

/** What the kills found about their own aim: every counted kill hit a live process that had started writing. */
export interface KillAim {
  counted: number;
  /** Runs that ended (or never wrote) before their kill: not counted, run again. */
  missed: number;
  perCommand: Map<string, number>;
}

/** The write phase each command showed when it finished before its kill: the next kill of it lands within that. */
const writeSpanMs = new Map<string, number>();

/**
 * Runs the command until a kill lands in a live process that has started writing (a lock or temp file appeared in Berth's
 * or docker's folders), at a random moment of its writing; after misses, at the very moment it starts writing. `false`
 * when no run was still alive when its kill came.
 */
async function killWhileWriting(on: Lane, command: Command, aim: KillAim): Promise<boolean> {
  for (let attempt = 0; attempt < 8; attempt++) {
    await command.prepare?.(on);
    const args = command.args(on);
    const child = command.helper ? helperChild(on.ws, args, command.input?.(on)) : berthChild(on.ws, args, command.input?.(on));
    const ended = exited(child).then(() => Date.now());
    const span = writeSpanMs.get(command.label) ?? command.spanMs ?? 100;
    // A command whose writing is over before a timer fires is killed inside the file-system event itself.
    const delay = attempt < 2 ? Math.random() * span : 0;
    let wroteAt: number | undefined;
    let hit = false;
    const killNow = () => {
      hit = child.exitCode === null && child.signalCode === null;
      child.kill('SIGKILL');
    };
    const watcher = firstWrite(on.ws, () => {
      wroteAt = Date.now();
      if (delay === 0) killNow();
      else setTimeout(killNow, delay);
    });
    try {
      const endedAt = await ended;
      if (hit) {
        aim.counted += 1;
        aim.perCommand.set(command.label, (aim.perCommand.get(command.label) ?? 0) + 1);
        return true;
      }
      aim.missed += 1;
      // Finished before its kill: its writing took about this long, so the next kill aims within that.
      if (wroteAt !== undefined) writeSpanMs.set(command.label, Math.max(1, (endedAt - wroteAt) * 0.5));
    } finally {
      watcher.close();
      child.kill('SIGKILL');
      await ended;
    }
  }
  return false;
}

/** One kill: a writing command killed while it writes, then what must hold, then the repair, then what must hold again. */
async function killOnce(on: Lane, into: Row, command: Command, aim: KillAim): Promise<void> {
  into.tries += 1;
  const after = `after a kill of "${command.label}"`;
  try {
    if (!(await killWhileWriting(on, command, aim))) {
      fail(into, `"${command.label}" finished or never wrote before its kill in 8 runs: no kill landed`);
      return;
    }
    for (const problem of foreignProblems(on.ws)) lose(into, `${after}: ${problem}`);
    for (const problem of unreadableFiles(on)) fail(into, `${after}, Berth's ${problem}`);
    try {
      const stores = openStores(on.ws.berthHome);
      stores.settings.registries();
      stores.status.all();
    } catch (error) {
      fail(into, `${after}, Berth's own files do not read: ${String(error)}`);
    }
    // Whatever the kill left must be recognisable as a dead process's, or it stays forever (a temp file) or blocks (a lock).
    for (const file of leftoverFiles(on.ws, { unrecognizable: true })) fail(into, `${after}, ${file} cannot be told apart from a live writer's`);
    // The journal: completed, or open where the next command sees it; either way Harbor's secret is held somewhere.
    const harborHas = on.oidc.harbor.user('alice')?.secret;
    const [pending, current] = [await laneSecret(on.ws, 'a', 'pending-cli-secret'), await laneSecret(on.ws, 'a', 'cli-secret')];
    if (pending !== null && !openStores(on.ws.berthHome).status.get('a').pendingSecretSince) fail(into, `${after}, a's journal holds a secret but status.json does not say so: no reader would roll it forward`);
    if (openStores(on.ws.berthHome).status.get('a').signedInAt && harborHas !== pending && harborHas !== current) {
      lose(into, `${after}, the ${chosenStore(on.ws)} holds neither as a's secret nor in its journal the secret Harbor has`);
    }
    await repair(on, into, command.label);
    for (const [name, rig, user] of [['a', on.oidc, 'alice'], ['b', on.web, 'bob']] as const) {
      const host = new URL(rig.harbor.url).host;
      if ((await dockerSees(on.ws, host)) !== `${user}:${rig.harbor.user(user)?.secret}`) lose(into, `${after} and the repair, docker does not hold ${name}'s secret`);
    }
    if ((await laneSecret(on.ws, 'a', 'pending-cli-secret')) !== null || openStores(on.ws.berthHome).status.get('a').pendingSecretSince) fail(into, `${after} and the repair, a's journal is still open`);
    // A registry's lock is taken over at once by the next command that takes it (its owner is dead, checked above); one of a registry no longer there has no next command.
    const registries = new Set(openStores(on.ws.berthHome).settings.registries().map((registry) => registry.name));
    const gone = (file: string) => dirname(file) === join(on.ws.berthHome, 'locks') && !registries.has(basename(file).replace(/\.lock(\.takeover)?$/, ''));
    for (const file of leftoverFiles(on.ws).filter((file) => !gone(file))) fail(into, `${after} and the repair, ${file} is left`);
    for (const stray of await strayedSecrets(on.ws)) lose(into, `${after} and the repair, ${stray} (the ${chosenStore(on.ws)} was chosen)`);
  } catch (error) {
    fail(into, `a kill of "${command.label}": ${errorMessage(error)}`);
  }
}

/**
 * SIGKILL at random moments of every writing command's writing, in three lanes at once (own Harbors, own workspace each):
 * two keeping secrets in the keychain, one in the file store; `berth config secret-store` moves them back and forth.
 */
export async function kills(into: Row, report: string[], total: number): Promise<void> {
  const rigs = await Promise.all([0, 1, 2].map(() => Promise.all([startRig(), startRig({ berthClient: false })])));
  const aim: KillAim = { counted: 0, missed: 0, perCommand: new Map() };
  try {
    const lanes = await Promise.all(
      rigs.map(async ([oidc, web], index) => {
        await Promise.all([oidc.webLogin('alice'), web.webLogin('bob')]);
        const made = await lane(oidc, web);
        cUrls.set(made, (await web.harbor.listenAlso(1))[0] as string);
        if (index === 1 && (await made.ws.berth('config', 'secret-store', 'file')).code !== 0) throw new Error('cannot choose the file store');
        return made;
      }),
    );
    into.environment.push('lanes 1 and 3 with the OS keychain, lane 2 with the file store');
    const cards = deck(total);
    await Promise.all(
      lanes.map(async (on, index) => {
        for (let i = index; i < cards.length; i += lanes.length) await killOnce(on, into, cards[i] as Command, aim);
      }),
    );
  } finally {
    await Promise.all(rigs.flat().map((rig) => rig.stop()));
  }
  const shares = [...aim.perCommand].map(([label, count]) => `${label} ${count}`).join(', ');
  report.push(
    `kills: ${aim.counted} kills, each of a live process that had started writing (a lock or temp file had appeared); ${aim.missed} runs finished before their kill and were run again`,
    `kills per command: ${shares}`,
  );
}
