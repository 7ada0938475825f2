import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStores } from '../main/settings/node-stores.js';
import { busWithKeyring, silentBus } from '../test/helpers/session-bus.js';
import { projectRoot, run } from '../test/helpers/berth.js';
import { startRig, type Rig } from '../test/rig/index.js';
import { dockerSees, foreignProblems, lane, type Lane } from './signed-in.js';
import { fail, lose, type Row } from './row.js';

const helperBin = join(projectRoot, 'bin', 'docker-credential-berth.js');

function tryMount(args: string[]): boolean {
  try {
    execFileSync('mount', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function unmount(path: string): void {
  try {
    execFileSync('umount', [path], { stdio: 'ignore' });
  } catch {
    // Not mounted.
  }
}

function chattr(flag: string, path: string): boolean {
  try {
    execFileSync('chattr', [flag, path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Ways to make a folder that root cannot write into either; each gives back how to undo it, or null where this machine does not allow it. */
const readOnlyWays: { how: string; make(folder: string): (() => void) | null }[] = [
  {
    how: 'read-only bind mount',
    make: (folder) => {
      if (!tryMount(['--bind', folder, folder])) return null;
      if (tryMount(['-o', 'remount,bind,ro', folder])) return () => unmount(folder);
      unmount(folder);
      return null;
    },
  },
  { how: 'immutable folder (chattr +i)', make: (folder) => (chattr('+i', folder) ? () => void chattr('-i', folder) : null) },
];

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

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  return [await work(), Date.now() - started];
}

async function harborHolds(on: Lane, into: Row, what: string): Promise<void> {
  for (const [rig, user] of [[on.oidc, 'alice'], [on.web, 'bob']] as [Rig, string][]) {
    if ((await dockerSees(on.ws, new URL(rig.harbor.url).host)) !== `${user}:${rig.harbor.user(user)?.secret}`) lose(into, `${what}: docker does not hold ${user}'s secret`);
  }
  for (const problem of foreignProblems(on.ws)) lose(into, `${what}: ${problem}`);
}

/** A locked keychain, a silent D-Bus, a full disk and read-only folders: clear states, bounded waits, nothing lost. */
export async function localState(into: Row): Promise<void> {
  const [oidc, web] = await Promise.all([startRig(), startRig({ berthClient: false })]);
  try {
    await Promise.all([oidc.webLogin('alice'), web.webLogin('bob')]);
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

    // The session bus accepts and never answers.
    const on = await lane(oidc, web);
    const bus = await silentBus();
    try {
      const silent = { ...on.ws.env, DBUS_SESSION_BUS_ADDRESS: bus.address };
      for (const [what, work] of [
        ['docker-credential-berth get', () => run(process.execPath, [helperBin, 'get'], silent, new URL(oidc.harbor.url).host)],
        ['berth check', () => run(process.execPath, [join(projectRoot, 'bin', 'berth.js'), 'check', 'a'], silent)],
        ['berth refresh', () => run(process.execPath, [join(projectRoot, 'bin', 'berth.js'), 'refresh'], silent)],
      ] as const) {
        into.tries += 1;
        const [result, ms] = await timed(work);
        if (ms > 30_000) fail(into, `${what} with a silent D-Bus took ${ms} ms`);
        if (result.code === 0) fail(into, `${what} with a silent D-Bus claimed success`);
      }
      await harborHolds(on, into, 'with a silent D-Bus');
    } finally {
      await bus.stop();
    }

    // docker's folder is on a full disk: Berth's write fails, and what was there stays readable and whole.
    into.tries += 1;
    const disk = mkdtempSync(join(tmpdir(), 'berth-full-'));
    const mounted = tryMount(['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]);
    try {
      copyFileSync(join(on.ws.dockerConfig, 'config.json'), join(disk, 'config.json'));
      const before = readFileSync(join(disk, 'config.json'), 'utf8');
      const env = { ...on.ws.env, DOCKER_CONFIG: disk };
      if (mounted) {
        try {
          writeFileSync(join(disk, 'filler'), Buffer.alloc(64 * 1024));
        } catch {
          // Full now, which is the point.
        }
      } else {
        Object.assign(env, { BERTH_FULL_DISK: disk, NODE_OPTIONS: `--import=${join(fileURLToPath(import.meta.url), '..', 'enospc-shim.js')}` });
      }
      const full = await run(process.execPath, [join(projectRoot, 'bin', 'berth.js'), 'target', 'a', 'helper'], env);
      if (full.code === 0) fail(into, 'a write to a full disk claimed success');
      if (!/no space left on device|ENOSPC/i.test(full.stderr)) fail(into, `a full disk was not named: ${full.stderr.trim()}`);
      if (readFileSync(join(disk, 'config.json'), 'utf8') !== before) lose(into, 'config.json changed on a full disk');
      if (readdirSync(disk).some((name) => name.endsWith('.tmp'))) lose(into, 'a temp file was left on the full disk');
      // An empty lock would make the next writer wait for it to go stale.
      if (readdirSync(disk).some((name) => name.endsWith('.lock'))) fail(into, 'a lock file was left on the full disk');
    } finally {
      if (mounted) unmount(disk);
      rmSync(disk, { recursive: true, force: true });
    }
    // Back on a disk with room, the next command puts things right.
    const status = openStores(on.ws.berthHome).settings.get('a').target ?? 'config';
    if ((await on.ws.berth('target', 'a', status)).code !== 0 || (await on.ws.berth('refresh')).code !== 0) fail(into, 'Berth did not recover once the disk had room');
    await harborHolds(on, into, 'after the full disk');

    // docker's folder is read-only while it holds a dead secret: not valid, and said why. Root writes through chmod, so each way
    // this machine allows is tried, and none is reported as not run rather than passed.
    const config = JSON.parse(readFileSync(join(on.ws.dockerConfig, 'config.json'), 'utf8')) as { auths: Record<string, unknown> };
    config.auths[new URL(oidc.harbor.url).host] = { auth: Buffer.from('alice:Dead1Secret').toString('base64') };
    const tried: string[] = [];
    for (const way of readOnlyWays) {
      const folder = mkdtempSync(join(tmpdir(), 'berth-ro-'));
      writeFileSync(join(folder, 'config.json'), JSON.stringify(config));
      const undo = way.make(folder);
      try {
        if (!undo || writable(folder)) {
          into.details.push(`note: no ${way.how} on this machine`);
          continue;
        }
        tried.push(way.how);
        into.tries += 1;
        const env = { ...on.ws.env, DOCKER_CONFIG: folder };
        const refresh = await run(process.execPath, [join(projectRoot, 'bin', 'berth.js'), 'refresh', 'a', '--json'], env);
        const view = (JSON.parse(refresh.stdout || '[{}]') as { state?: string; lastError?: string }[])[0];
        if (view?.state === 'valid') lose(into, `a config.json with a dead secret in a ${way.how} showed as valid`);
        if (!/could not rewrite it/.test(view?.lastError ?? '')) fail(into, `the ${way.how} was not named: ${view?.lastError ?? refresh.stderr}`);
      } finally {
        undo?.();
        rmSync(folder, { recursive: true, force: true });
      }
    }
    if (tried.length === 0) into.notRun.push(`read-only folder (no ${readOnlyWays.map((way) => way.how).join(', no ')})`);
    mkdirSync(on.ws.dockerConfig, { recursive: true });
    await on.ws.berth('refresh');
    await harborHolds(on, into, 'after the read-only folder');
  } finally {
    await Promise.all([oidc.stop(), web.stop()]);
  }
}
