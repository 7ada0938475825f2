import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import keytar from 'keytar';
import { isAlive, parseLockOwner, tempFileWriter } from '../main/credentials/file-lock.js';
import { sessionBusSocket } from '../main/dbus/session-bus.js';
import { homeTag, keychainService, secretAccount, type SecretKind } from '../main/secrets/keychain.js';
import { keytarAccounts } from '../main/secrets/secret-service.js';
import { secretsFile } from '../main/settings/paths.js';
import type { Rig } from '../test/rig/index.js';
import { addArgs, berthBin, cliLogin, run, storedSecret, workspace, type Workspace } from '../test/helpers/berth.js';

/** Entries in docker's config.json that are not Berth's: any run that loses one of them has lost something. */
export const foreignEntries = {
  auths: { 'keep.example.org': { auth: Buffer.from('keep:me').toString('base64'), email: 'keep@example.org' } },
  credHelpers: { 'other.example.org': 'other' },
  'x-unknown-field': { kept: true },
};

export interface Lane {
  ws: Workspace;
  /** `a`: Berth's own client (alice at `oidc`); `b`: Harbor's web login (bob at `web`). */
  oidc: Rig;
  web: Rig;
}

/** A workspace whose docker config holds foreign entries, with one registry per sign-in method signed in. */
export async function lane(oidc: Rig, web: Rig, env: NodeJS.ProcessEnv = {}): Promise<Lane> {
  const ws = workspace();
  Object.assign(ws.env, env);
  mkdirSync(ws.dockerConfig, { recursive: true });
  writeFileSync(join(ws.dockerConfig, 'config.json'), JSON.stringify(foreignEntries, null, '\t'));
  const result = { ws, oidc, web };
  await signInA(result);
  if ((await ws.berth('add', 'harbor', 'b', '--url', web.harbor.url)).code !== 0) throw new Error('cannot add b');
  await signInB(result);
  return result;
}

export async function signInA({ ws, oidc }: Lane): Promise<void> {
  if (!existsSync(join(ws.berthHome, 'settings.json')) || !readFileSync(join(ws.berthHome, 'settings.json'), 'utf8').includes('"a"')) await ws.berth(...addArgs(oidc, 'a'));
  const login = await cliLogin(ws, 'a', 'alice');
  if (login.code !== 0) throw new Error(`cannot sign in a: ${login.stderr}`);
}

export async function signInB({ ws, web }: Lane): Promise<void> {
  const login = await ws.berthWithInput(web.harbor.user('bob')?.secret as string, 'login', 'b', '--username', 'bob', '--secret-stdin');
  if (login.code !== 0) throw new Error(`cannot sign in b: ${login.stderr}`);
}

/** `berth` as a child this process can kill. */
export function berthChild(ws: Workspace, args: string[], input?: string): ChildProcess {
  const child = spawn(process.execPath, [berthBin, ...args], { env: ws.env, stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin?.end(input ?? '');
  return child;
}

/** `docker-credential-berth` as a child this process can kill. */
export function helperChild(ws: Workspace, args: string[], input?: string): ChildProcess {
  const child = spawn(process.execPath, [join(berthBin, '..', 'docker-credential-berth.js'), ...args], { env: ws.env, stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin?.end(input ?? '');
  return child;
}

export function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

/** What docker would send for `host`, read the way docker does (its config, or the helper it names). */
export async function dockerSees(ws: Workspace, host: string): Promise<string | undefined> {
  const config = JSON.parse(readFileSync(join(ws.dockerConfig, 'config.json'), 'utf8')) as { auths?: Record<string, { auth?: string }>; credHelpers?: Record<string, string> };
  if (config.credHelpers?.[host] === 'berth') {
    const got = await run(process.execPath, [join(berthBin, '..', 'docker-credential-berth.js'), 'get'], ws.env, host);
    return got.code === 0 ? ((JSON.parse(got.stdout) as { Username: string; Secret: string }).Username + ':' + (JSON.parse(got.stdout) as { Secret: string }).Secret) : undefined;
  }
  const auth = config.auths?.[host]?.auth;
  return auth === undefined ? undefined : Buffer.from(auth, 'base64').toString('utf8');
}

/** What is wrong with docker's config.json: unreadable, or missing an entry that is not Berth's. */
export function foreignProblems(ws: Workspace): string[] {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(join(ws.dockerConfig, 'config.json'), 'utf8')) as Record<string, unknown>;
  } catch (error) {
    return [`config.json unreadable: ${String(error)}`];
  }
  const problems: string[] = [];
  const auths = (config.auths ?? {}) as Record<string, unknown>;
  if (JSON.stringify(auths['keep.example.org']) !== JSON.stringify(foreignEntries.auths['keep.example.org'])) problems.push('the keep.example.org entry');
  if ((config.credHelpers as Record<string, string> | undefined)?.['other.example.org'] !== 'other') problems.push('the other.example.org helper');
  if (JSON.stringify(config['x-unknown-field']) !== JSON.stringify(foreignEntries['x-unknown-field'])) problems.push('the unknown field');
  return problems;
}

export { storedSecret };

/** The folders Berth's writes touch: its own, its registry locks, its secrets file's, and docker's. */
export function writtenFolders(ws: Workspace): string[] {
  return [ws.berthHome, join(ws.berthHome, 'locks'), join(ws.berthHome, 'secrets'), ws.dockerConfig];
}

/** The store settings.json names for secrets (the keychain unless the file store was chosen). */
export function chosenStore(ws: Workspace): 'keychain' | 'file' {
  const settings = JSON.parse(readFileSync(join(ws.berthHome, 'settings.json'), 'utf8')) as { preferences?: { secretStore?: string } };
  return settings.preferences?.secretStore === 'file' ? 'file' : 'keychain';
}

function fileStoreEntries(ws: Workspace): Record<string, string> {
  const path = secretsFile(ws.berthHome);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>) : {};
}

/** A secret of the workspace as the given store (default: the chosen one) holds it, read straight from that store. */
export async function laneSecret(ws: Workspace, name: string, kind: SecretKind, store = chosenStore(ws)): Promise<string | null> {
  if (store === 'file') return fileStoreEntries(ws)[`${name}/${kind}`] ?? null;
  return keytar.getPassword(keychainService, secretAccount(ws.berthHome, name, kind));
}

/** Secrets of this workspace in the store it did not choose: after a finished move there must be none. */
export async function strayedSecrets(ws: Workspace): Promise<string[]> {
  if (chosenStore(ws) === 'keychain') return Object.keys(fileStoreEntries(ws)).map((entry) => `${entry} in the secrets file`);
  const tag = `${homeTag(ws.berthHome)}/`;
  // Listed as Berth lists them, over the bus: keytar's findCredentials crashes the process when another lane deletes an entry meanwhile.
  const accounts = await keytarAccounts(sessionBusSocket(process.env.DBUS_SESSION_BUS_ADDRESS) as string, 10_000, keychainService);
  return accounts.filter((account) => account.startsWith(tag)).map((account) => `${account.slice(tag.length)} in the keychain`);
}

const lockName = /\.lock(\.takeover)?$/;

/**
 * Temp and lock files in Berth's and docker's folders. With `unrecognizable`, only those the next command cannot tell apart as a
 * dead process's (a temp file without its writer's pid, a lock without an owner who is gone): those would be kept forever
 * or make the next writer wait.
 */
export function leftoverFiles(ws: Workspace, { unrecognizable = false } = {}): string[] {
  return writtenFolders(ws).flatMap((folder) => {
    if (!existsSync(folder)) return [];
    return readdirSync(folder)
      .filter((name) => lockName.test(name) || /\.tmp$/.test(name))
      .filter((name) => {
        if (!unrecognizable) return true;
        const writer = tempFileWriter(name);
        if (writer !== undefined) return isAlive(writer.pid, writer.start);
        if (!lockName.test(name)) return true;
        try {
          const owner = parseLockOwner(readFileSync(join(folder, name), 'utf8'));
          return !owner || owner.host !== hostname() || isAlive(owner.pid, owner.start);
        } catch {
          return false;
        }
      })
      .map((name) => join(folder, name));
  });
}

/** Calls `onWrite` (once, at once, inside the file-system event) at the first lock or temp file a process creates in Berth's or docker's folders: it has started writing. */
export function firstWrite(ws: Workspace, onWrite: () => void): { close(): void } {
  for (const folder of writtenFolders(ws)) mkdirSync(folder, { recursive: true, mode: 0o700 });
  let seen = false;
  const watchers = writtenFolders(ws).map((folder) =>
    watch(folder, (_event, name) => {
      if (seen || !name || !(tempFileWriter(name) || lockName.test(name))) return;
      seen = true;
      onWrite();
    }),
  );
  return { close: () => watchers.forEach((watcher) => watcher.close()) };
}
