import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Temp files a dead writer left behind next to config.json (a live writer's are not counted). */
export function leftovers(ws: Workspace): string[] {
  return readdirSync(ws.dockerConfig).filter((name) => /^\.config\.json\..*\.tmp$/.test(name));
}

export { storedSecret };
