import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStores } from '../main/settings/node-stores.js';
import { secretsFile } from '../main/settings/paths.js';
import { busWithKeyring, busWithoutKeyring, holdBusName, silentBus } from '../test/helpers/session-bus.js';
import { finished } from '../test/helpers/finished.js';
import { projectRoot, run, type Run } from '../test/helpers/berth.js';
import { startRig, type Rig } from '../test/rig/index.js';
import { dockerSees, foreignProblems, lane, laneSecret, leftoverFiles, type Lane } from './signed-in.js';
import { fail, lose, type Row } from './row.js';

const helperBin = join(projectRoot, 'bin', 'docker-credential-berth.js');
const berthBin = join(projectRoot, 'bin', 'berth.js');
const here = join(fileURLToPath(import.meta.url), '..');

/** The tries of this row: locked keychain 1; silent bus 3; a Secret Service that never answers a secret call 3; full disk: docker's folder 1, Berth's 4; read-only: docker's folder 1, Berth's 4; regenerate into a read-only docker folder 1. */
export const localStateTries = 1 + 3 + 3 + 1 + 4 + 1 + 4 + 1;

function succeeds(program: string, args: string[]): boolean {
  try {
    execFileSync(program, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A folder made full or read-only for Berth's processes: how, the environment they run in, and how to undo it. */
interface Prepared {
  how: string;
  env: NodeJS.ProcessEnv;
  undo(): void;
}

/** Whether this process can still create a file in the folder (a file system that ignores the attribute, say). */
function writable(folder: string): boolean {
  try {
    writeFileSync(join(folder, '.probe'), '');
    rmSync(join(folder, '.probe'));
    return true;
  } catch {
    return false;
  }
}

/** `folder` with no space left: a small tmpfs mounted over it (its content copied in, then filled up), or the ENOSPC stand-in where mounting is not allowed. */
function fullDisk(folder: string, env: NodeJS.ProcessEnv): Prepared {
  const copy = mkdtempSync(join(tmpdir(), 'berth-full-copy-'));
  cpSync(folder, copy, { recursive: true, preserveTimestamps: true });
  if (succeeds('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', folder])) {
    cpSync(copy, folder, { recursive: true, preserveTimestamps: true });
    try {
      writeFileSync(join(folder, 'filler'), Buffer.alloc(512 * 1024));
    } catch {
      // Full now, which is the point.
    }
    return {
      how: 'a full 256 KB tmpfs',
      env,
      undo: () => {
        succeeds('umount', [folder]);
        rmSync(copy, { recursive: true, force: true });
      },
    };
  }
  rmSync(copy, { recursive: true, force: true });
  return {
    how: 'the ENOSPC stand-in at the write call',
    env: { ...env, BERTH_FULL_DISK: folder, NODE_OPTIONS: `--import=${join(here, 'enospc-shim.js')}` },
    undo: () => undefined,
  };
}

/** `folder` read-only even for root: a read-only bind mount over it, else chattr +i on it and everything in it, else the EROFS stand-in at the file-system call. */
function readOnly(folder: string, env: NodeJS.ProcessEnv): Prepared {
  if (succeeds('mount', ['--bind', folder, folder])) {
    if (succeeds('mount', ['-o', 'remount,bind,ro', folder]) && !writable(folder)) return { how: 'a read-only bind mount', env, undo: () => void succeeds('umount', [folder]) };
    succeeds('umount', [folder]);
  }
  if (succeeds('chattr', ['-R', '+i', folder])) {
    if (!writable(folder)) return { how: 'chattr +i', env, undo: () => void succeeds('chattr', ['-R', '-i', folder]) };
    succeeds('chattr', ['-R', '-i', folder]);
  }
  return { how: 'the EROFS stand-in at the file-system call', env: { ...env, BERTH_READ_ONLY: folder, NODE_OPTIONS: `--import=${join(here, 'read-only-shim.js')}` }, undo: () => undefined };
}

/** Berth's files and docker's config.json as they are, to see that a failed write changed nothing. */
function snapshot(on: Lane): Map<string, string> {
  const files = [
    ...readdirSync(on.ws.berthHome).filter((name) => name.endsWith('.json') && name !== 'activity.json').map((name) => join(on.ws.berthHome, name)),
    secretsFile(on.ws.berthHome),
    join(on.ws.dockerConfig, 'config.json'),
  ];
  return new Map(files.filter((file) => existsSync(file)).map((file) => [file, readFileSync(file, 'utf8')]));
}

function changedSince(before: Map<string, string>): string[] {
  return [...before].filter(([file, text]) => !existsSync(file) || readFileSync(file, 'utf8') !== text).map(([file]) => file);
}

async function harborHolds(on: Lane, into: Row, what: string): Promise<void> {
  for (const [rig, user] of [[on.oidc, 'alice'], [on.web, 'bob']] as [Rig, string][]) {
    if ((await dockerSees(on.ws, new URL(rig.harbor.url).host)) !== `${user}:${rig.harbor.user(user)?.secret}`) lose(into, `${what}: docker does not hold ${user}'s secret`);
  }
  for (const problem of foreignProblems(on.ws)) lose(into, `${what}: ${problem}`);
}

const berth = (env: NodeJS.ProcessEnv, ...args: string[]) => run(process.execPath, [berthBin, ...args], env);
const helper = (env: NodeJS.ProcessEnv, action: string, input: string) => run(process.execPath, [helperBin, action], env, input);
const said = (result: Run) => `${result.stdout}${result.stderr}`.trim().slice(0, 400);

/** The keychain locked, silent, or answering the bus but never a secret call: each its own state with its reason, in bounded time. */
async function keychainCases(into: Row, oidc: Rig, web: Rig): Promise<void> {
  // The keychain locks (a screen lock, a timeout) while Berth keeps registries alive.
  into.tries += 1;
  const keyring = await busWithKeyring();
  try {
    const on = await lane(oidc, web, { DBUS_SESSION_BUS_ADDRESS: keyring.address });
    await keyring.lock();
    const locked = await on.ws.berth('refresh', '--json');
    const states = (JSON.parse(locked.stdout) as { state: string }[]).map((view) => view.state);
    if (!states.every((state) => state === 'keychain-locked')) fail(into, `a locked keychain showed as ${states.join(', ')}`);
    await harborHolds(on, into, 'while the keychain was locked');
    await keyring.unlock();
    if ((await on.ws.berth('refresh')).code !== 0) fail(into, 'refresh after unlocking did not end valid');
  } finally {
    await keyring.stop();
  }

  const on = await lane(oidc, web);
  const host = new URL(oidc.harbor.url).host;
  /** The helper, check and refresh on this bus: each must end by itself, not valid, in keychain-locked with `reason`. */
  const stuck = async (what: string, address: string, reason: RegExp) => {
    const env = { ...on.ws.env, DBUS_SESSION_BUS_ADDRESS: address };
    // All three at once: each waits out its own deadline.
    const commands = [
      ['docker-credential-berth get', finished(process.execPath, [helperBin, 'get'], env, host)],
      ['berth check', finished(process.execPath, [berthBin, 'check', 'a'], env)],
      ['berth refresh', finished(process.execPath, [berthBin, 'refresh', 'a', '--json'], env)],
    ] as const;
    for (const [command, running] of commands) {
      into.tries += 1;
      const result = await running;
      if (result.code === 0) fail(into, `${command} with ${what} claimed success`);
      const text = command === 'berth refresh' ? ((JSON.parse(result.stdout || '[{}]') as { lastError?: string }[])[0]?.lastError ?? '') : result.stdout + result.stderr;
      if (!reason.test(text)) fail(into, `${command} with ${what} did not say why: ${text.trim().slice(0, 300)}`);
      if (command === 'berth refresh') {
        const state = (JSON.parse(result.stdout || '[{}]') as { state?: string }[])[0]?.state;
        if (state !== 'keychain-locked') fail(into, `refresh with ${what} showed ${state}, not keychain-locked`);
      }
    }
    await harborHolds(on, into, `with ${what}`);
  };
  const bus = await silentBus();
  try {
    await stuck('a session bus that accepts and never answers', bus.address, /The OS keychain did not answer within \d+ s \(the session bus or its Secret Service is not answering\)/);
  } finally {
    await bus.stop();
  }
  // An unlock prompt nobody answers: the Secret Service answers the bus (Berth's own probe) but never a secret call.
  const prompting = await busWithoutKeyring();
  const service = await holdBusName(prompting.address, 'org.freedesktop.secrets');
  try {
    await stuck('a Secret Service that never answers a secret call', prompting.address, /The OS keychain did not answer within \d+ s when Berth tried to read the a credentials\. Unlock it/);
  } finally {
    service.release();
    await prompting.stop();
  }
  if ((await on.ws.berth('refresh')).code !== 0) fail(into, 'refresh with the keychain back did not end valid');
}

/** docker's folder full, then Berth's own (settings, status, the secrets file): every write fails naming the cause, and nothing changes. */
async function fullDiskCases(into: Row, on: Lane, files: Lane): Promise<void> {
  // docker's folder on a full disk: Berth's write fails, and what was there stays readable and whole.
  into.tries += 1;
  const disk = mkdtempSync(join(tmpdir(), 'berth-full-'));
  copyFileSync(join(on.ws.dockerConfig, 'config.json'), join(disk, 'config.json'));
  const before = readFileSync(join(disk, 'config.json'), 'utf8');
  const docker = fullDisk(disk, { ...on.ws.env, DOCKER_CONFIG: disk });
  try {
    into.environment.push(`full disk: ${docker.how}`);
    const full = await berth(docker.env, 'target', 'a', 'helper');
    if (full.code === 0) fail(into, 'a write to a full docker folder claimed success');
    if (!/no space left on device|ENOSPC/i.test(full.stderr)) fail(into, `a full docker folder was not named: ${full.stderr.trim()}`);
    if (readFileSync(join(disk, 'config.json'), 'utf8') !== before) lose(into, 'config.json changed on a full disk');
    if (readdirSync(disk).some((name) => name.endsWith('.tmp'))) lose(into, 'a temp file was left on the full disk');
    // An empty lock would make the next writer wait for it to go stale.
    if (readdirSync(disk).some((name) => name.endsWith('.lock'))) fail(into, 'a lock file was left on the full disk');
  } finally {
    docker.undo();
    rmSync(disk, { recursive: true, force: true });
  }
  // Back on a disk with room, the next command puts things right.
  const target = openStores(on.ws.berthHome).settings.get('a').target ?? 'config';
  if ((await on.ws.berth('target', 'a', target)).code !== 0 || (await on.ws.berth('refresh')).code !== 0) fail(into, 'Berth did not recover once docker’s disk had room');
  await harborHolds(on, into, 'after the full docker folder');

  // Berth's own folder full: status.json, settings.json, the secrets file and the registry locks cannot be written.
  const harborSecret = files.oidc.harbor.user('alice')?.secret;
  const home = fullDisk(files.ws.berthHome, files.ws.env);
  try {
    for (const [what, work] of [
      ['refresh (status.json)', () => berth(home.env, 'refresh', 'a')],
      ['target (settings.json)', () => berth(home.env, 'target', 'b', 'helper')],
      ['regenerate (the secrets file)', () => berth(home.env, 'regenerate', 'a', '--yes')],
      ['docker login through the helper (settings.json, the secrets file)', () => helper(home.env, 'store', JSON.stringify({ ServerURL: 'tokens.example.org', Username: 'robot', Secret: 'Robot-Token-1' }))],
    ] as const) {
      into.tries += 1;
      const before = snapshot(files);
      const result = await work();
      if (result.code === 0) fail(into, `${what} on a full disk claimed success`);
      if (!/no space left on device|ENOSPC/i.test(said(result))) fail(into, `${what} on a full disk did not say so: ${said(result)}`);
      for (const file of changedSince(before)) lose(into, `${what} on a full disk changed ${file}`);
      for (const file of leftoverFiles(files.ws)) fail(into, `${what} on a full disk left ${file}`);
    }
    if (files.oidc.harbor.user('alice')?.secret !== harborSecret) lose(into, 'regenerate on a full disk changed the secret at Harbor, with nowhere to keep it');
  } finally {
    home.undo();
  }
  if ((await files.ws.berth('refresh')).code !== 0) fail(into, 'Berth did not recover once its own disk had room');
  await harborHolds(files, into, 'after the full Berth folder');
}

/** Read-only folders: docker's with a dead secret in it, Berth's own, and docker's while regenerate puts a new secret in place. */
async function readOnlyCases(into: Row, on: Lane, files: Lane): Promise<void> {
  const hows = new Set<string>();
  // docker's folder read-only while it holds a dead secret: not valid, and said why.
  into.tries += 1;
  const host = new URL(on.oidc.harbor.url).host;
  const configPath = join(on.ws.dockerConfig, 'config.json');
  const healthy = readFileSync(configPath, 'utf8');
  const dead = JSON.parse(healthy) as { auths: Record<string, unknown> };
  dead.auths[host] = { auth: Buffer.from('alice:Dead1Secret').toString('base64') };
  writeFileSync(configPath, JSON.stringify(dead));
  let docker = readOnly(on.ws.dockerConfig, on.ws.env);
  try {
    hows.add(docker.how);
    const refresh = await berth(docker.env, 'refresh', 'a', '--json');
    const view = (JSON.parse(refresh.stdout || '[{}]') as { state?: string; lastError?: string }[])[0];
    if (view?.state === 'valid') lose(into, `a config.json with a dead secret in a read-only folder (${docker.how}) showed as valid`);
    if (!/could not rewrite it/.test(view?.lastError ?? '')) fail(into, `the read-only docker folder (${docker.how}) was not named: ${view?.lastError ?? refresh.stderr}`);
  } finally {
    docker.undo();
  }
  writeFileSync(configPath, healthy);
  await on.ws.berth('refresh');

  // Berth's own folder read-only (settings, status, the secrets file, the locks): writes fail naming it; reads still answer.
  const home = readOnly(files.ws.berthHome, files.ws.env);
  try {
    hows.add(home.how);
    const refusal = /read-only file system|EROFS|operation not permitted|EPERM/i;
    for (const [what, work] of [
      ['refresh', () => berth(home.env, 'refresh', 'a')],
      ['target', () => berth(home.env, 'target', 'b', 'helper')],
      ['docker login through the helper', () => helper(home.env, 'store', JSON.stringify({ ServerURL: 'tokens.example.org', Username: 'robot', Secret: 'Robot-Token-1' }))],
    ] as const) {
      into.tries += 1;
      const before = snapshot(files);
      const result = await work();
      if (result.code === 0) fail(into, `${what} in a read-only Berth folder claimed success`);
      if (!refusal.test(said(result))) fail(into, `${what} in a read-only Berth folder did not say so: ${said(result)}`);
      for (const file of changedSince(before)) lose(into, `${what} in a read-only Berth folder changed ${file}`);
    }
    into.tries += 1;
    const got = await helper(home.env, 'get', new URL(files.web.harbor.url).host);
    const status = await berth(home.env, 'status', 'a');
    if (got.code !== 0 || (JSON.parse(got.stdout) as { Secret?: string }).Secret !== files.web.harbor.user('bob')?.secret) fail(into, `docker-credential-berth get stopped answering in a read-only Berth folder: ${said(got)}`);
    if (status.code !== 0) fail(into, `berth status stopped answering in a read-only Berth folder: ${said(status)}`);
  } finally {
    home.undo();
  }
  if ((await files.ws.berth('refresh')).code !== 0) fail(into, 'Berth did not recover once its folder was writable again');

  // regenerate whose last write meets a read-only docker folder: docker keeps the old secret, the journal stays open, Berth says so, nothing is valid that is not.
  into.tries += 1;
  const config = readFileSync(configPath, 'utf8');
  docker = readOnly(on.ws.dockerConfig, on.ws.env);
  try {
    hows.add(docker.how);
    const regenerate = await berth(docker.env, 'regenerate', 'a', '--yes');
    const harborHas = on.oidc.harbor.user('alice')?.secret;
    const record = openStores(on.ws.berthHome).status.get('a');
    if (regenerate.code === 0) fail(into, 'regenerate into a read-only docker folder claimed success');
    if (!/Harbor has the new CLI secret of alice, but Berth could not put it in place/.test(regenerate.stderr)) fail(into, `regenerate did not say the new secret is not in place: ${said(regenerate)}`);
    if (readFileSync(configPath, 'utf8') !== config) lose(into, 'config.json changed in a read-only folder');
    if (record.state === 'valid') lose(into, 'a registry whose docker credential is dead showed as valid after regenerate');
    if ((await laneSecret(on.ws, 'a', 'pending-cli-secret')) !== harborHas || !record.pendingSecretSince) fail(into, 'the journal of the new secret was not left open');
  } finally {
    docker.undo();
  }
  // The next command that reads the credential rolls the journal forward.
  const status = await on.ws.berth('status', 'a', '--json');
  if ((JSON.parse(status.stdout) as { state: string }[])[0]?.state !== 'valid') fail(into, `berth status did not put the new secret in place once docker's folder was writable: ${said(status)}`);
  if ((await laneSecret(on.ws, 'a', 'pending-cli-secret')) !== null) fail(into, 'the journal stayed open after berth status');
  await harborHolds(on, into, 'after the read-only folders');
  into.environment.push(`read-only: ${[...hows].join(' and ')}`);
}

/** A locked, silent or unanswering keychain, full disks and read-only folders for docker and for Berth itself: clear states, bounded waits, nothing lost. */
export async function localState(into: Row): Promise<void> {
  const [oidc, web] = await Promise.all([startRig(), startRig({ berthClient: false })]);
  try {
    await Promise.all([oidc.webLogin('alice'), web.webLogin('bob')]);
    await keychainCases(into, oidc, web);
    const on = await lane(oidc, web);
    // Berth's own folder with the file store: the secrets file is one of the files a full or read-only disk stops.
    const files = await lane(oidc, web);
    if ((await files.ws.berth('config', 'secret-store', 'file')).code !== 0) throw new Error('cannot choose the file store');
    await fullDiskCases(into, on, files);
    await readOnlyCases(into, on, files);
  } finally {
    await Promise.all([oidc.stop(), web.stop()]);
  }
}
